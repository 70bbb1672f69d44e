// Fuzzing from the OpenAPI document: for every operation, property-based requests (fast-check)
// built from its schemas (random values in each body field, random query values and ids) and
// hostile bodies (malformed JSON, wrong types, huge strings and arrays, deep nesting, NUL bytes).
// The service never answers 5xx, and every response is valid against the schema the contract
// declares for its status.
import t from 'tap'
import fc from 'fast-check'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { buildTestApp } from '../helpers/app.js'
import { RUNS, pointer, unstorable, hostileQueryValue, hostileValue, type Operation } from './fuzz-support.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

t.test('every operation, fuzzed: never a 5xx, every response valid against its declared schema', async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 1_000_000 })
  const document = ctx.app.swagger() as unknown as { paths: Record<string, Record<string, Operation['spec']>> }
  const ajv = new Ajv({ strict: false, allErrors: false })
  addFormats(ajv)
  ajv.addSchema(document as object, 'openapi.json')

  // An event stream never ends, so inject would wait on it forever: test/routes/v1/stream.test.ts
  // drives GET /v1/stream over a socket, its refusals included.
  const operations: Operation[] = Object.entries(document.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec }))
    )
    .filter(operation => operation.spec.responses['200']?.content?.['text/event-stream'] === undefined)
  t.ok(operations.length > 40, `${operations.length} operations in the contract`)

  const failures: string[] = []
  const checked = new Map<string, number>()
  for (const operation of operations) {
    const pathParams = (operation.spec.parameters ?? []).filter(p => p.in === 'path')
    const queryParams = (operation.spec.parameters ?? []).filter(p => p.in === 'query')
    const bodySchema = operation.spec.requestBody?.content['application/json']?.schema
    const example = (bodySchema?.examples as unknown[] | undefined)?.[0]
    const request = fc.record({
      ids: fc.array(fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.constantFrom(...unstorable)), {
        minLength: pathParams.length,
        maxLength: pathParams.length
      }),
      query: fc.dictionary(
        fc.constantFrom(...queryParams.map(p => p.name), 'unknown'),
        fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), hostileQueryValue),
        { maxKeys: 3 }
      ),
      body: fc.oneof(
        hostileValue,
        fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 4 }),
        fc.constant(example ?? {})
      ),
      raw: fc.oneof(fc.constant(undefined), fc.constant('{"unterminated": '), fc.constant('not json at all'))
    })
    await fc.assert(
      fc.asyncProperty(request, async ({ ids, query, body, raw }) => {
        let url = operation.path
        for (const [i, param] of pathParams.entries())
          url = url.replace(`{${param.name}}`, encodeURIComponent(ids[i] as string))
        const search = new URLSearchParams(query).toString()
        const hasBody = bodySchema !== undefined
        const payload = raw ?? JSON.stringify(body)
        for (const caller of [ctx.service, ctx.user]) {
          const res = await ctx.app.inject({
            method: operation.method as 'GET',
            url: search === '' ? url : `${url}?${search}`,
            headers: { ...caller.headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
            ...(hasBody ? { payload } : {})
          })
          if (res.statusCode >= 500 && res.statusCode !== 501 && res.statusCode !== 503) {
            failures.push(`${operation.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
            return
          }
          const declared = operation.spec.responses[String(res.statusCode)]
          const contentType = String(res.headers['content-type'] ?? '').split(';')[0] as string
          const content = declared?.content?.[contentType]
          if (declared === undefined || (declared.content !== undefined && content === undefined)) {
            failures.push(`${operation.method} ${url} -> ${res.statusCode} ${contentType} is not declared`)
            return
          }
          if (content === undefined) return
          const validate = ajv.getSchema(
            `openapi.json#/${pointer('paths', operation.path, operation.method.toLowerCase(), 'responses', String(res.statusCode), 'content', contentType, 'schema')}`
          )
          if (validate === undefined) {
            failures.push(
              `${operation.method} ${operation.path} ${res.statusCode}: the contract's schema cannot be compiled`
            )
            return
          }
          checked.set(String(res.statusCode), (checked.get(String(res.statusCode)) ?? 0) + 1)
          if (!validate(res.json())) {
            failures.push(
              `${operation.method} ${url} -> ${res.statusCode} body does not match its schema: ${ajv.errorsText(validate.errors)}`
            )
          }
        }
      }),
      { numRuns: RUNS, seed: 314 }
    )
  }
  t.same(failures.slice(0, 20), [], 'no 5xx and no response outside its declared schema')
  const validated = [...checked.values()].reduce((sum, n) => sum + n, 0)
  t.ok(
    validated > 800,
    `${validated} responses validated against the contract, by status: ${JSON.stringify(Object.fromEntries(checked))}`
  )
  t.ok((checked.get('200') ?? 0) + (checked.get('201') ?? 0) > 50, 'successful responses were among them')
})
