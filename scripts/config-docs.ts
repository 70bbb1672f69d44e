// `npm run config:docs`: writes .env.example and docs/configuration.md from the configuration
// schema (src/config/schema.ts).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  CONFIGURATION_DOC_FILE,
  ENV_EXAMPLE_FILE,
  renderConfigurationDoc,
  renderEnvExample
} from '../src/config/documents.js'

for (const [file, text] of [
  [ENV_EXAMPLE_FILE, renderEnvExample()],
  [CONFIGURATION_DOC_FILE, renderConfigurationDoc()]
] as const) {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, text)
  console.log(`wrote ${file}`)
}
