// How route schemas are compiled. Input: two Ajv instances, strict for request bodies (no
// type coercion, unknown properties refused) and coercing for params, querystrings and
// headers (they arrive as strings); both know every shared schema and collect all errors, so
// a problem response names every offending field at once. Output: fast-json-stringify.
// Both validators and serializers are compiled on first use and cached per schema for the whole
// process: compiling every route's takes about a second of CPU, most of the cost of starting a
// process, while a process (a test file, a worker behind a few callers) uses a fraction of the
// routes; many routes share the same problem and row schemas, and tests build an app per case.
// Compiled functions hold no per-app state. A first call pays a few milliseconds once.
import fp from 'fastify-plugin'
import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import fastJson from 'fast-json-stringify'
import type { TSchema } from 'typebox'
import { isStorableTimestamp } from '../schemas/timestamps.js'

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

function createAjv(schemas: TSchema[], options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options })
  addFormats(ajv)
  // A date-time PostgreSQL refuses would reach the database and fail there, unnamed.
  ajv.addFormat('date-time', { type: 'string', validate: isStorableTimestamp })
  ajv.addKeyword({ keyword: 'example' })
  for (const schema of schemas) ajv.addSchema(schema)
  return ajv
}

type Serializer = (data: unknown) => string
type Validator = ReturnType<Ajv['compile']>

interface Compilers {
  strict: Ajv
  coercing: Ajv
  validators: Map<string, Validator>
  serializers: Map<string, Serializer>
}

// Keyed by the list of shared schemas (one constant per process in practice); within it, by
// the schema's JSON: the same text with the same shared schemas compiles to the same function.
const compilersByShared = new WeakMap<TSchema[], Compilers>()

function compilersFor(schemas: TSchema[]): Compilers {
  let compilers = compilersByShared.get(schemas)
  if (compilers === undefined) {
    compilers = {
      strict: createAjv(schemas, { coerceTypes: false }),
      coercing: createAjv(schemas, { coerceTypes: 'array' }),
      validators: new Map(),
      serializers: new Map()
    }
    compilersByShared.set(schemas, compilers)
  }
  return compilers
}

function compiledValidator(compilers: Compilers, schema: unknown, body: boolean): Validator {
  const key = `${body ? 'body' : 'coerced'} ${JSON.stringify(schema)}`
  let validator = compilers.validators.get(key)
  if (validator === undefined) {
    validator = (body ? compilers.strict : compilers.coercing).compile(schema as object)
    compilers.validators.set(key, validator)
  }
  return validator
}

// Ajv coerces a string to a number as JavaScript's Number() reads it: `0x10` passes as 16, and
// ` 1` and `+5` pass too. Query strings, path parameters and headers write numbers in decimal,
// so a number property's string is held to that before Ajv coerces it; range and integrality
// stay Ajv's to judge.
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/** The properties of a request part's schema that Ajv coerces to numbers. */
function numberProperties(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: string | string[] }> }).properties ?? {}
  return Object.keys(properties).filter(key =>
    [properties[key]?.type].flat().some(type => type === 'integer' || type === 'number')
  )
}

function notDecimal(data: unknown, keys: string[]): ErrorObject[] {
  if (typeof data !== 'object' || data === null) return []
  const values = data as Record<string, unknown>
  return keys
    .filter(key => [values[key]].flat().some(value => typeof value === 'string' && !DECIMAL.test(value)))
    .map(key => ({
      instancePath: `/${key}`,
      schemaPath: `#/properties/${key}/type`,
      keyword: 'type',
      params: {},
      message: 'must be a number written in decimal'
    }))
}

// Fastify reads a failed validation's `errors` from the function it was given, so the
// stand-in passes them on from the compiled one.
function validatorFor(compilers: Compilers, schema: unknown, body: boolean): (data: unknown) => boolean {
  let compiled: Validator | undefined
  const numbers = body ? [] : numberProperties(schema)
  const validate = (data: unknown): boolean => {
    compiled ??= compiledValidator(compilers, schema, body)
    const refused = notDecimal(data, numbers)
    const valid = compiled(data) as boolean
    validate.errors = refused.length === 0 ? compiled.errors : [...refused, ...(compiled.errors ?? [])]
    return valid && refused.length === 0
  }
  validate.errors = undefined as Validator['errors']
  return validate
}

function compiledSerializer(compilers: Compilers, schemas: TSchema[], schema: unknown): Serializer {
  const key = JSON.stringify(schema)
  let serializer = compilers.serializers.get(key)
  if (serializer === undefined) {
    const externals = Object.fromEntries(schemas.map(shared => [(shared as { $id: string }).$id, shared]))
    serializer = fastJson(schema as Parameters<typeof fastJson>[0], { schema: externals as never }) as Serializer
    compilers.serializers.set(key, serializer)
  }
  return serializer
}

function serializerFor(compilers: Compilers, schemas: TSchema[], schema: unknown): Serializer {
  let compiled: Serializer | undefined
  return data => (compiled ??= compiledSerializer(compilers, schemas, schema))(data)
}

export default fp(
  async (app, options: { schemas: TSchema[] }) => {
    for (const schema of options.schemas) app.addSchema(schema)
    const compilers = compilersFor(options.schemas)
    app.setValidatorCompiler(({ schema, httpPart }) => validatorFor(compilers, schema, httpPart === 'body'))
    app.setSerializerCompiler(({ schema }) => serializerFor(compilers, options.schemas, schema))
  },
  { name: 'schema-compilers' }
)
