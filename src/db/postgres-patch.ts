// The service depends on patches/postgres+3.4.9.patch: without it a connection lost at the wrong
// moment throws where nobody can catch it and ends the process, or leaves a query waiting
// forever. patch-package applies it from `postinstall`, so an install with --ignore-scripts (or
// a copied node_modules) silently runs the unpatched driver. Start-up refuses that install.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// Lines only the patched sources contain, one per patched function, in the files Node loads.
const MARKERS: Array<{ file: string; marker: string }> = [
  { file: 'connection.js', marker: 'Patched (porsager/postgres#1154, #1208)' },
  { file: 'connection.js', marker: 'Patched (porsager/postgres#1130, #1142)' },
  { file: 'connection.js', marker: 'fetchArrayTypeRows().catch(' },
  { file: 'index.js', marker: 'scoped.catch(() => {})' }
]

/** The folder of the postgres.js sources this process imports. */
export function loadedPostgresDir(): string {
  return path.dirname(fileURLToPath(import.meta.resolve('postgres')))
}

/** Why the postgres.js sources in `dir` are not the patched ones, or null when they are. */
export async function postgresPatchProblem(dir: string = loadedPostgresDir()): Promise<string | null> {
  const missing: string[] = []
  for (const { file, marker } of MARKERS) {
    const source = await readFile(path.join(dir, file), 'utf8').catch(() => '')
    if (!source.includes(marker)) missing.push(`${file}: "${marker}"`)
  }
  if (missing.length === 0) return null
  return (
    `postgres.js in ${dir} lacks patches/postgres+3.4.9.patch (missing ${missing.join(', ')}). ` +
    'It is applied by patch-package in postinstall, which an install with --ignore-scripts skips: ' +
    'run `npx patch-package` (or `npm install` with scripts enabled) and start again.'
  )
}
