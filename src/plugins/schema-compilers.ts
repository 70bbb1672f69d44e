// How route schemas are compiled. Input: two Ajv instances, strict for request bodies (no
// type coercion, unknown properties refused) and coercing for params, querystrings and
// headers (they arrive as strings); both know every shared schema and collect all errors, so
// a problem response names every offending field at once. Output: fast-json-stringify
// serializers cached per schema for the whole process, because building them is most of the
// cost of building an app (many routes share the same problem and row schemas, and tests
// build an app per case).
import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import fastJson from 'fast-json-stringify'
import type { TSchema } from 'typebox'

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

function createAjv (schemas: TSchema[], options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options })
  addFormats(ajv)
  ajv.addKeyword({ keyword: 'example' })
  for (const schema of schemas) ajv.addSchema(schema)
  return ajv
}

type Serializer = (data: unknown) => string

// Keyed by the list of shared schemas (one constant per process in practice), then by the
// response schema's JSON: the same text with the same shared schemas gives the same function.
const serializerCache = new WeakMap<TSchema[], Map<string, Serializer>>()

function serializerFor (schemas: TSchema[], schema: unknown): Serializer {
  let cache = serializerCache.get(schemas)
  if (cache === undefined) {
    cache = new Map()
    serializerCache.set(schemas, cache)
  }
  const key = JSON.stringify(schema)
  let serializer = cache.get(key)
  if (serializer === undefined) {
    const externals = Object.fromEntries(schemas.map((shared) => [(shared as { $id: string }).$id, shared]))
    serializer = fastJson(schema as Parameters<typeof fastJson>[0], { schema: externals as never }) as Serializer
    cache.set(key, serializer)
  }
  return serializer
}

export default fp(async (app, options: { schemas: TSchema[] }) => {
  for (const schema of options.schemas) app.addSchema(schema)
  const strict = createAjv(options.schemas, { coerceTypes: false })
  const coercing = createAjv(options.schemas, { coerceTypes: 'array' })
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema))
  app.setSerializerCompiler(({ schema }) => serializerFor(options.schemas, schema))
}, { name: 'schema-compilers' })
