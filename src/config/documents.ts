// .env.example and docs/configuration.md, written from src/config/schema.ts by
// `npm run config:docs`; test/config-docs.test.ts fails when a committed copy drifts.
import { ENV_GROUPS, type VariableSchema } from './schema.js'

export const ENV_EXAMPLE_FILE = '.env.example'
export const CONFIGURATION_DOC_FILE = 'docs/configuration.md'

const GENERATED = 'Generated from src/config/schema.ts by `npm run config:docs`; edit the schema, not this file.'

const variables = (group: (typeof ENV_GROUPS)[number]): Array<[string, VariableSchema]> =>
  Object.entries(group.variables) as unknown as Array<[string, VariableSchema]>

function sample(schema: VariableSchema): string {
  if (schema.default !== undefined) return String(schema.default)
  if (schema.secret === true) return ''
  return schema.examples?.[0] ?? ''
}

function accepts(schema: VariableSchema): string {
  if (schema.list !== undefined) return `list: ${schema.list}`
  if (schema.enum !== undefined) return `one of ${schema.enum.join(', ')}`
  if (schema.protocols !== undefined) return `URL (${schema.protocols.join(' ')})`
  if (schema.format === 'schedule') return 'cron (5 or 6 fields) or off'
  if (schema.minimum !== undefined) {
    const kind = schema.type === 'integer' ? 'whole number' : 'number'
    return `${kind} ${schema.minimum}-${String(schema.maximum)}${schema.unit === undefined ? '' : ` ${schema.unit}`}`
  }
  if (schema.minLength !== undefined) return `at least ${schema.minLength} characters`
  if (schema.pattern !== undefined) return schema.mustBe ?? 'text'
  return schema.type === 'boolean' ? 'true or false' : 'text'
}

export function renderEnvExample(): string {
  const lines = [`# Every variable the service reads; all are optional (docs/configuration.md).`, `# ${GENERATED}`]
  for (const group of ENV_GROUPS) {
    lines.push('', `# ${group.title}: ${group.description}`)
    for (const [name, schema] of variables(group)) {
      lines.push(`# ${schema.description} [${accepts(schema)}]`, `# ${name}=${sample(schema)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

const cell = (text: string): string => text.replaceAll('|', '\\|')

export function renderConfigurationDoc(): string {
  const lines = [
    '# Configuration',
    '',
    `<!-- ${GENERATED} -->`,
    '',
    'Every setting is an environment variable, and every one is optional. The service validates them all',
    'once at start (`src/config.ts`): a bad value stops it with a message that names the variable and',
    'says what it must be. Values are trimmed and an empty value counts as unset. `.env.example` lists',
    'the same variables with their defaults.'
  ]
  for (const group of ENV_GROUPS) {
    lines.push(
      '',
      `## ${group.title}`,
      '',
      group.description,
      '',
      '| Variable | Default | Accepts | Meaning |',
      '| --- | --- | --- | --- |'
    )
    for (const [name, schema] of variables(group)) {
      const fallback = schema.default === undefined ? 'unset' : `\`${String(schema.default)}\``
      lines.push(`| \`${name}\` | ${fallback} | ${cell(accepts(schema))} | ${cell(schema.description)} |`)
    }
  }
  return `${lines.join('\n')}\n`
}
