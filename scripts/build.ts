// `npm run build`: the production JavaScript in dist/, one file per source file, so the paths
// the code reads relative to itself (../../migrations, ../openapi) resolve from dist/ as they
// do from src/. esbuild only transpiles (types are checked by `npm run typecheck`); packages
// stay in node_modules, which is what `npm install --omit=dev` leaves for the runtime. The
// operator console's assets go to dist/console (scripts/console-build.ts).
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'
import { buildConsole } from './console-build.js'

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
const built = await buildConsole(path.join(OUT, 'console'))
console.log(`built the console into ${OUT}/console/: ${(built.gzippedBytes / 1024).toFixed(1)} KB gzipped`)
