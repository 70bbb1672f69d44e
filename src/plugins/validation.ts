// Input validation with two Ajv instances: request bodies are validated strictly (no type
// coercion, unknown properties refused), while params, querystrings and headers are coerced
// from their string form. Both know every shared schema, and all errors are collected so a
// problem response names every offending field at once.
import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
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

export default fp(async (app, options: { schemas: TSchema[] }) => {
  for (const schema of options.schemas) app.addSchema(schema)
  const strict = createAjv(options.schemas, { coerceTypes: false })
  const coercing = createAjv(options.schemas, { coerceTypes: 'array' })
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema))
}, { name: 'validation' })
