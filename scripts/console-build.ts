// The operator console's build, shared by `npm run build` (into dist/console) and the test
// runner (into its own compiled tree): esbuild bundles console/src (Preact, TSX) into hashed,
// minified assets and writes index.html naming them, so the service can serve the assets as
// immutable and index.html as always revalidated. Prints the gzipped size: the budget is 150 KB.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ENTRY = 'console/src/main.tsx'
const TEMPLATE = 'console/index.html'

export interface ConsoleBuild {
  files: string[]
  gzippedBytes: number
}

export async function buildConsole(outDir: string): Promise<ConsoleBuild> {
  rmSync(outDir, { recursive: true, force: true })
  const assets = path.join(outDir, 'assets')
  mkdirSync(assets, { recursive: true })
  const result = await build({
    entryPoints: [ENTRY],
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning'
  })
  const outputs = Object.keys(result.metafile.outputs).map(file => path.basename(file))
  const script = outputs.find(file => file.endsWith('.js'))
  const style = outputs.find(file => file.endsWith('.css'))
  if (script === undefined || style === undefined) throw new Error(`the console build made ${outputs.join(', ')}`)
  const html = readFileSync(TEMPLATE, 'utf8')
    .replace('%SCRIPT%', `/console/assets/${script}`)
    .replace('%STYLE%', `/console/assets/${style}`)
  writeFileSync(path.join(outDir, 'index.html'), html)
  const files = ['index.html', ...outputs.map(file => `assets/${file}`)]
  const gzippedBytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(path.join(outDir, file))).length, 0)
  return { files, gzippedBytes }
}
