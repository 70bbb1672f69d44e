// .env.example and docs/configuration.md are generated from the configuration schema: a variable
// added, removed or changed there without `npm run config:docs` fails here.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import {
  CONFIGURATION_DOC_FILE,
  ENV_EXAMPLE_FILE,
  renderConfigurationDoc,
  renderEnvExample
} from '../src/config/documents.js'
import { loadConfig } from '../src/config.js'
import { ENV_DEFAULTS, ENV_VARIABLES } from '../src/config/schema.js'

t.test('the committed .env.example is the one the schema writes (run `npm run config:docs`)', async t => {
  t.equal(await readFile(ENV_EXAMPLE_FILE, 'utf8'), renderEnvExample())
})

t.test('the committed docs/configuration.md is the one the schema writes (run `npm run config:docs`)', async t => {
  t.equal(await readFile(CONFIGURATION_DOC_FILE, 'utf8'), renderConfigurationDoc())
})

t.test('every declared variable is documented with its default', async t => {
  const example = renderEnvExample()
  const doc = renderConfigurationDoc()
  for (const [name, value] of Object.entries(ENV_DEFAULTS)) {
    t.match(example, `# ${name}=${String(value)}\n`, name)
    t.match(doc, `| \`${name}\` | \`${String(value)}\` |`, name)
  }
  for (const name of Object.keys(ENV_VARIABLES)) t.match(doc, `\`${name}\``, name)
})

t.test('the example file, uncommented, is a configuration the service starts with', async t => {
  const env = Object.fromEntries(
    renderEnvExample()
      .split('\n')
      .map(line => /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter(match => match !== null)
      .map(match => [match[1] as string, match[2] as string])
  )
  t.ok(Object.keys(env).length >= Object.keys(ENV_VARIABLES).length - 1)
  delete env.ESCALATION_SLACK_WEBHOOK_URL
  // The two secrets a server with DATABASE_URL must be given (the example leaves them empty).
  env.JWT_SECRET = 'x'.repeat(32)
  env.SECRETS_KEY = 'y'.repeat(32)
  t.doesNotThrow(() => loadConfig(env))
})
