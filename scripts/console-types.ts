// The console's API types, generated from the committed contract (openapi-typescript), shared
// by `npm run openapi` (which writes them beside the document) and the drift test.
import { fileURLToPath, pathToFileURL } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { OPENAPI_FILE } from '../src/openapi-document.js'

export const CONSOLE_TYPES_FILE = fileURLToPath(new URL('../console/src/api-types.ts', import.meta.url))

export async function renderConsoleTypes(): Promise<string> {
  // Fields with a default are optional to send; by default the generator would demand them.
  const types = astToString(await openapiTS(pathToFileURL(OPENAPI_FILE), { defaultNonNullable: false }))
  return `// Generated from openapi/openapi.json by \`npm run openapi\`: do not edit.\n${types}`
}
