// Every documented route taking both `since` and `until` refuses a period that ends before it
// starts as a 400 naming `until`, and answers a period of one instant as usual.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

interface Document {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>
}

t.test('until before since is a 400 naming until on every route that takes both', async t => {
  const ctx = await buildTestApp(t)
  const document = (await ctx.app.inject({ url: '/openapi.json' })).json() as Document
  const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => {
        const names = new Set(operation.parameters?.filter(item => item.in === 'query').map(item => item.name))
        return names.has('since') && names.has('until')
      })
      .map(([method]) => ({ method: method.toUpperCase() as 'GET', path }))
  )
  t.ok(routes.length >= 8, `${routes.length} routes take since and until`)
  for (const { method, path } of routes) {
    t.notOk(path.includes('{'), `${path} has no path parameter to fill`)
    const url = `${path}?since=2026-12-07T10:00:00Z&until=2026-12-07T09:00:00Z`
    const refused = await ctx.app.inject({ method, url, headers: ctx.admin.headers })
    t.equal(refused.statusCode, 400, `${method} ${path}`)
    t.match(refused.json(), { code: 'INVALID_FIELDS', errors: [{ path: '/querystring/until' }] }, `${method} ${path}`)
    const instant = await ctx.app.inject({
      method,
      url: `${path}?since=2026-12-07T09:00:00Z&until=2026-12-07T09:00:00Z`,
      headers: ctx.admin.headers
    })
    t.equal(instant.statusCode, 200, `${method} ${path} ${instant.body}`)
  }
})
