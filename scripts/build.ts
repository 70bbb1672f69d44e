// `npm run build`: the production JavaScript in dist/, one file per source file, so the paths
// the code reads relative to itself (../../migrations, ../openapi) resolve from dist/ as they
// do from src/. esbuild only transpiles (types are checked by `npm run typecheck`); packages
// stay in node_modules, which is what `npm install --omit=dev` leaves for the runtime.
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'

const SOURCE = 'src'
const OUT = 'dist'

const entryPoints = readdirSync(SOURCE, { recursive: true, encoding: 'utf8' })
  .filter(file => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map(file => path.join(SOURCE, file))

rmSync(OUT, { recursive: true, force: true })
await build({
  entryPoints,
  outdir: OUT,
  outbase: SOURCE,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning'
})
console.log(`built ${entryPoints.length} modules into ${OUT}/`)
