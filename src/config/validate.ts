// The environment checked against src/config/schema.ts: values are trimmed (empty means
// unset), strings coerced to the declared types, defaults filled in. The first bad value stops
// here with a ConfigError naming its variable and saying what it must be.
import { Ajv, type ErrorObject } from 'ajv'
import { cronProblem } from '../lib/cron.js'
import { ConfigError } from './error.js'
import { ENV_VARIABLES, EnvSchema, type Env, type EnvName } from './schema.js'

const TRUE = ['true', '1', 'yes', 'on']
const FALSE = ['false', '0', 'no', 'off']

function protocolsAccept(protocols: string[], value: unknown): boolean {
  try {
    return protocols.includes(new URL(String(value)).protocol)
  } catch {
    return false
  }
}

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false })
ajv.addFormat('schedule', (value: string) => value.toLowerCase() === 'off' || cronProblem(value) === undefined)
ajv.addKeyword({ keyword: 'protocols', type: 'string', schemaType: 'array', validate: protocolsAccept })
const check = ajv.compile<Env>(EnvSchema)

function complaint(name: EnvName, raw: string, error: ErrorObject): string {
  const schema = ENV_VARIABLES[name]
  if (schema.secret === true) return `must be ${schema.mustBe ?? 'valid'}`
  switch (error.keyword) {
    case 'type':
      if (schema.type === 'integer') return `must be a whole number, got "${raw}"`
      if (schema.type === 'number') return `must be a number such as 2 or 1.5, got "${raw}"`
      if (schema.type === 'boolean') return `must be true or false, got "${raw}"`
      break
    case 'minimum':
    case 'maximum':
      return `must be between ${String(schema.minimum)} and ${String(schema.maximum)}, got ${raw}`
    case 'protocols': {
      const protocols = schema.protocols ?? []
      if (!URL.canParse(raw)) return 'must be a URL'
      return `must use ${protocols.join(' or ')}, got ${new URL(raw).protocol}`
    }
  }
  return schema.mustBe === undefined
    ? `is not valid (${error.message ?? error.keyword}), got "${raw}"`
    : `must be ${schema.mustBe}, got "${raw}"`
}

export function validateEnv(env: Record<string, string | undefined>): Env {
  const values: Record<string, string> = {}
  for (const name of Object.keys(ENV_VARIABLES) as EnvName[]) {
    let value = env[name]?.trim()
    if (value === undefined || value === '') continue
    if (ENV_VARIABLES[name].type === 'boolean') {
      const lower = value.toLowerCase()
      if (TRUE.includes(lower)) value = 'true'
      else if (FALSE.includes(lower)) value = 'false'
    }
    values[name] = value
  }
  const raw = { ...values }
  if (!check(values)) {
    const error = check.errors?.[0] as ErrorObject
    const name = error.instancePath.slice(1) as EnvName
    throw new ConfigError(name, complaint(name, raw[name] ?? '', error))
  }
  return values as unknown as Env
}
