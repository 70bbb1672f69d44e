// `npm run openapi`: writes openapi/openapi.json from the app's route schemas, then the
// console's client types from it. The app is
// built without connecting anywhere (the pool connects on first use), so no database is needed.
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { OPENAPI_FILE, renderOpenApi } from '../src/openapi-document.js'
import { CONSOLE_TYPES_FILE, renderConsoleTypes } from './console-types.js'

const config = loadConfig({
  DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  JWT_SECRET: 'x'.repeat(32),
  SECRETS_KEY: 'x'.repeat(32),
  JOBS_ENABLED: 'false',
  LOG_LEVEL: 'silent'
})
const app = await buildApp(config, { logger: false })
await writeFile(OPENAPI_FILE, renderOpenApi(app.swagger()))
await app.close()
console.log(`wrote ${OPENAPI_FILE}`)
await writeFile(CONSOLE_TYPES_FILE, await renderConsoleTypes())
console.log(`wrote ${CONSOLE_TYPES_FILE}`)
