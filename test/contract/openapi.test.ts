// The committed contract is what the app serves, and it is a valid OpenAPI document.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { OPENAPI_FILE, renderOpenApi } from '../../src/openapi-document.js'
import { buildTestApp } from '../helpers/app.js'

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

interface Example {
  pointer: string
  schemaPointer: string
  value: unknown
}

const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')

/** Every example in the document with the schema it illustrates: a schema's `examples` and
 * `example`, and a parameter's or media type's `example` and `examples` (Example Objects). */
function examplesIn(node: unknown, pointer = '', parentKey = ''): Example[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => examplesIn(item, `${pointer}/${index}`))
  if (typeof node !== 'object' || node === null) return []
  const object = node as Record<string, unknown>
  const found: Example[] = []
  // Under `properties` the keys are field names, so a field called `examples` is a schema.
  if (parentKey !== 'properties') {
    const holdsSchema = typeof object.schema === 'object'
    const schemaPointer = holdsSchema ? `${pointer}/schema` : pointer
    if (Array.isArray(object.examples) && !holdsSchema) {
      object.examples.forEach((value, index) =>
        found.push({ pointer: `${pointer}/examples/${index}`, schemaPointer, value })
      )
    } else if (typeof object.examples === 'object' && object.examples !== null && holdsSchema) {
      for (const [name, example] of Object.entries(object.examples))
        found.push({
          pointer: `${pointer}/examples/${escape(name)}`,
          schemaPointer,
          value: (example as { value: unknown }).value
        })
    }
    if ('example' in object) found.push({ pointer: `${pointer}/example`, schemaPointer, value: object.example })
  }
  for (const [key, value] of Object.entries(object)) {
    if (parentKey !== 'properties' && (key === 'examples' || key === 'example')) continue
    found.push(...examplesIn(value, `${pointer}/${escape(key)}`, key))
  }
  return found
}

t.test(
  'openapi/openapi.json matches what /openapi.json serves (run `npm run openapi` after changing a route)',
  async t => {
    const { app } = await buildTestApp(t)
    const served = await app.inject('/openapi.json')
    t.equal(served.statusCode, 200)
    const committed = await readFile(OPENAPI_FILE, 'utf8')
    t.equal(renderOpenApi(served.json()), committed)
  }
)

t.test('the document validates as OpenAPI 3.1 with named components', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  t.equal(document.openapi, '3.1.0')
  await t.resolves(SwaggerParser.validate(structuredClone(document)))
  t.ok(document.components.schemas.Problem, 'Problem is a named component')
})

t.test('every example in the document validates against its schema (JSON Schema 2020-12, Ajv)', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  const examples = examplesIn(document)
  t.ok(examples.length >= 40, `${examples.length} examples found`)
  const invalid = examples.flatMap(({ pointer, schemaPointer, value }) => {
    const validate = ajv.getSchema(`openapi.json#${schemaPointer}`)
    if (validate === undefined) return [`${pointer}: no schema at ${schemaPointer}`]
    return validate(value) ? [] : [`${pointer}: ${ajv.errorsText(validate.errors)}`]
  })
  t.same(invalid, [], 'no example breaks its schema')
})

interface Operation {
  security?: unknown
  responses: Record<string, { headers?: Record<string, unknown> } | undefined>
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: { default?: unknown } }>
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> }
}

t.test('every operation declares its security, its shared errors, and no defaulted input as required', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const schemas = document.components.schemas as Record<
    string,
    { properties?: Record<string, { default?: unknown }>; required?: string[] }
  >
  const faults: string[] = []
  for (const [url, operations] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const name = `${method.toUpperCase()} ${url}`
      const isPublic = !url.startsWith('/v1/') && !url.startsWith('/otlp/')
      t.same(operation.security, isPublic ? [] : [{ bearerAuth: [] }], `${name}: security`)
      if (!isPublic && operation.responses['429']?.headers?.['Retry-After'] === undefined)
        faults.push(`${name}: no 429 with Retry-After`)
      if (!isPublic && operation.responses['503']?.headers?.['Retry-After'] === undefined)
        faults.push(`${name}: no 503 with Retry-After`)
      for (const parameter of operation.parameters ?? []) {
        if (parameter.required === true && parameter.in !== 'path' && parameter.schema?.default !== undefined)
          faults.push(`${name}: ${parameter.name} has a default but is required`)
      }
      const body = operation.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined
      const component = body === undefined ? undefined : schemas[body.replace('#/components/schemas/', '')]
      for (const field of component?.required ?? []) {
        if (component?.properties?.[field]?.default !== undefined)
          faults.push(`${name}: body field ${field} has a default but is required`)
      }
    }
  }
  t.same(faults, [])
  const optionalBodies = ['approve', 'reject', 'cancel'].map(
    decision => document.paths[`/v1/recovery-actions/{id}/${decision}`].post.requestBody.required
  )
  t.same(optionalBodies, [false, false, false], 'approve, reject and cancel take an optional body')
  const readiness = document.paths['/readyz'].get.responses['503'].content['application/json'].schema.$ref as string
  t.ok(
    schemas[readiness.replace('#/components/schemas/', '')]?.properties?.checks,
    '/readyz documents its 503 with the failed checks'
  )
})

t.test('every parameter says what it does, for readers of the document and generated clients', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const undescribed: string[] = []
  for (const [url, operations] of Object.entries(
    document.paths as Record<string, Record<string, { parameters?: Array<Record<string, unknown>> }>>
  ))
    for (const [method, operation] of Object.entries(operations))
      for (const parameter of operation.parameters ?? [])
        if (typeof parameter.description !== 'string' || parameter.description.trim() === '')
          undescribed.push(`${method} ${url} ${String(parameter.in)} ${String(parameter.name)}`)
  t.same(undescribed, [])
})

interface Schema {
  $ref?: string
  items?: { $ref?: string }
}

interface Property {
  enum?: unknown[]
  anyOf?: Property[]
  default?: unknown
}

const enumOf = (property: Property | undefined): unknown[] | undefined =>
  property?.enum ?? property?.anyOf?.find(branch => branch.enum !== undefined)?.enum

t.test('a field its input constrains to an enum is returned as that enum, for typed clients', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const schemas = document.components.schemas as Record<string, { properties?: Record<string, Property> }>
  const faults: string[] = []
  for (const [name, input] of Object.entries(schemas)) {
    const output = name.endsWith('Input') ? schemas[name.slice(0, -'Input'.length)] : undefined
    if (output === undefined) continue
    for (const [field, property] of Object.entries(input.properties ?? {})) {
      const allowed = enumOf(property)
      const returned = output.properties?.[field]
      if (allowed !== undefined && returned !== undefined && enumOf(returned) === undefined)
        faults.push(`${name}.${field} is an enum, ${name.slice(0, -'Input'.length)}.${field} is not`)
    }
  }
  t.same(faults, [])
})

t.test('a PATCH body has no defaults: a field left out stays as it is', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const schemas = document.components.schemas as Record<string, { properties?: Record<string, Property> }>
  const faults: string[] = []
  for (const [url, operations] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    const body = operations.patch?.requestBody?.content?.['application/json']?.schema?.$ref
    const component = body === undefined ? undefined : schemas[body.replace('#/components/schemas/', '')]
    for (const [field, property] of Object.entries(component?.properties ?? {}))
      if (property.default !== undefined) faults.push(`PATCH ${url}: ${field} defaults to ${String(property.default)}`)
  }
  t.same(faults, [])
})

t.test('every JSON body is a named component, so generated clients share one type per shape', async t => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  // Free-form by nature: a JSON Schema document, and OTLP's protocol-defined messages.
  const freeForm = new Set(['get /v1/runbooks/schema', 'post /otlp/v1/metrics'])
  const inline: string[] = []
  for (const [url, operations] of Object.entries(
    document.paths as Record<string, Record<string, Operation & { responses: Record<string, { content?: object }> }>>
  ))
    for (const [method, operation] of Object.entries(operations)) {
      if (freeForm.has(`${method} ${url}`)) continue
      const bodies = [
        ...Object.entries(operation.responses).map(([status, response]) => [status, response.content] as const),
        ['request', operation.requestBody?.content] as const
      ]
      for (const [where, content] of bodies)
        for (const [mediaType, media] of Object.entries((content ?? {}) as Record<string, { schema?: Schema }>)) {
          const schema = media.schema
          const named = schema?.$ref ?? schema?.items?.$ref
          if (mediaType.endsWith('json') && named === undefined) inline.push(`${method} ${url} ${where} ${mediaType}`)
        }
    }
  t.same(inline, [])
})
