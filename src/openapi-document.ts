// Where the committed OpenAPI contract lives and how it is written, shared by the generator
// script and the drift test so both render the document byte for byte the same way.
import { fileURLToPath } from 'node:url'

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

export function renderOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`
}
