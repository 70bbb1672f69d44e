// Problems name their condition in `code`, beyond the status several conditions share, and
// docs/api.md lists every code the service can send.
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { CATALOGUE_CODES, errors, fallbackCode } from '../../src/errors.js'
import { buildTestApp } from '../helpers/app.js'

// Each code of the table with the status its row gives.
const documented = new Map(
  readFileSync('docs/api.md', 'utf8')
    .split('\n')
    .filter(line => /^\| `[A-Z_]+`/.test(line))
    .flatMap(line => {
      const [codes = '', status = ''] = line.split(' | ')
      return [...codes.matchAll(/`([A-Z_]+)`/g)].map(match => [match[1] as string, status] as const)
    })
)

t.test('docs/api.md lists every code', async t => {
  const fallbacks = [400, 404, 405, 413, 415, 429, 500].map(fallbackCode)
  for (const code of [...CATALOGUE_CODES, ...fallbacks, 'INVALID_FIELDS', 'ORGANIZATION_REQUIRED'])
    t.ok(documented.has(code), `${code} is in the table`)
})

t.test("docs/api.md gives each catalogue code the catalogue's status", async t => {
  for (const Raise of Object.values(errors)) {
    const error = new Raise('a detail')
    t.equal(documented.get(error.code), String(error.statusCode), error.code)
  }
})

t.test('a problem names its condition', async t => {
  const ctx = await buildTestApp(t)
  const problem = async (request: InjectOptions) => {
    const res = await ctx.app.inject(request)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    return res.json()
  }
  t.match(await problem({ url: '/v1/components/nobody-registered-this', headers: ctx.admin.headers }), {
    status: 404,
    code: 'COMPONENT_NOT_FOUND'
  })
  t.match(await problem({ url: '/v1/no-such-route', headers: ctx.admin.headers }), {
    status: 404,
    code: 'ROUTE_NOT_FOUND'
  })
  t.match(await problem({ url: '/v1/components' }), { status: 401, code: 'UNAUTHENTICATED' })
  t.match(await problem({ method: 'POST', url: '/v1/health-events', headers: ctx.service.headers, payload: {} }), {
    status: 400,
    code: 'INVALID_FIELDS',
    errors: [{ path: '/body/component_type' }]
  })
  t.match(await problem({ method: 'POST', url: '/v1/health-events', headers: ctx.admin.headers, payload: {} }), {
    status: 403,
    code: 'ROLE_NOT_ALLOWED'
  })
})
