// Every query parameter and body field of every operation in the OpenAPI document, given values
// PostgreSQL refuses to store or read (NUL bytes, timestamps and cursors outside its range:
// docs/security.md "Input limits"): a 400 naming the field for NUL bytes, never a 5xx.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { endless, nested, cursorAt, unstorable, type Operation } from './fuzz-support.js'

t.test(
  'every query parameter and body field of every operation, given each unstorable value: 400 for NUL bytes, never a 5xx',
  async t => {
    const ctx = await buildTestApp(t, { rateLimitMax: 1_000_000 })
    const document = ctx.app.swagger() as unknown as {
      paths: Record<string, Record<string, Operation['spec']>>
      components: { schemas: Record<string, { examples?: unknown[] }> }
    }
    const wrong: string[] = []
    let sent = 0
    const send = async (method: string, url: string, payload?: unknown) => {
      sent++
      const res = await ctx.app.inject({
        method: method as 'GET',
        url,
        headers: { ...ctx.admin.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) })
      })
      if (res.statusCode >= 500 && res.statusCode !== 501 && res.statusCode !== 503)
        wrong.push(`${method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
      return res
    }
    const expectNamed = (
      label: string,
      res: { statusCode: number; json: () => { errors?: Array<{ path: string }> } },
      path: string
    ): void => {
      if (res.statusCode === 401 || res.statusCode === 403) return
      if (res.statusCode !== 400 || !(res.json().errors ?? []).some(e => e.path === path))
        wrong.push(`${label} -> ${res.statusCode}, not a 400 naming ${path}`)
    }
    const queryValues = [
      ...unstorable,
      ...['0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-infinity'].map(cursorAt)
    ]
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, spec] of Object.entries(methods)) {
        if (endless(spec)) continue
        const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')
        const schema = spec.requestBody?.content['application/json']?.schema as
          { $ref?: string; examples?: unknown[] } | undefined
        const example =
          schema === undefined
            ? undefined
            : ((schema.examples?.[0] ??
                document.components.schemas[schema.$ref?.split('/').pop() ?? '']?.examples?.[0] ??
                {}) as Record<string, unknown>)
        for (const { name } of (spec.parameters ?? []).filter(p => p.in === 'query')) {
          for (const value of queryValues) {
            const res = await send(
              method.toUpperCase(),
              `${url}?${new URLSearchParams({ [name]: value }).toString()}`,
              example
            )
            if (value.includes('\u0000'))
              expectNamed(`${method.toUpperCase()} ${path}?${name}`, res, `/querystring/${name}`)
          }
        }
        if (example === undefined) continue
        for (const field of Object.keys(example)) {
          for (const value of [...unstorable, nested(33), { 'key\u0000': 'x' }]) {
            const res = await send(method.toUpperCase(), url, { ...example, [field]: value })
            if (typeof value === 'string' && value.includes('\u0000'))
              expectNamed(`${method.toUpperCase()} ${path} ${field}`, res, `/body/${field}`)
          }
        }
      }
    }
    t.ok(sent > 500, `${sent} requests with unstorable values`)
    t.same(wrong.slice(0, 20), [], 'no 5xx, and every NUL byte named in a 400')
  }
)
