// The console's client types are generated from the committed contract: a route changed without
// `npm run openapi` (which rewrites both) fails here.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { CONSOLE_TYPES_FILE, renderConsoleTypes } from '../../scripts/console-types.js'

t.test('console/src/api-types.ts is what openapi/openapi.json generates', async t => {
  const committed = await readFile(CONSOLE_TYPES_FILE, 'utf8')
  t.ok(committed === (await renderConsoleTypes()), 'regenerate with `npm run openapi`')
})
