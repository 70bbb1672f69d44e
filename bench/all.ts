// `npm run bench [-- --only db,ingest] [--markdown] [--write docs/benchmarks.md]`: every
// benchmark, one after another (they would disturb each other's timings side by side), then one
// table of their headline figures beside the seed's target and ours. --write puts that table,
// stamped with the date, the machine and the commit, into the document's figures block. Each runs as its own process, as `npm run bench:<name>`
// does, and hands its figures over through BENCH_FIGURES_FILE (bench/support/figures.ts).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { formatValue, type Figure } from './support/figures.js'
import { currentStamp, figuresMarkdown, writeFigures } from './support/markdown.js'

const BENCHES: Record<string, string> = {
  db: 'bench/db-helpers.ts',
  ingest: 'bench/ingest.ts',
  otlp: 'bench/otlp.ts',
  monitor: 'bench/monitor.ts',
  console: 'bench/console.ts',
  detect: 'bench/detect.ts',
  'detect-history': 'bench/detect-history.ts',
  'detector-state': 'bench/detector-state.ts',
  heal: 'bench/heal.ts',
  nab: 'bench/nab/run.ts',
  predict: 'bench/predict.ts',
  replay: 'bench/replay/run.ts'
}

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, markdown: { type: 'boolean', default: false }, write: { type: 'string' } }
})
const chosen = args.only === undefined ? Object.keys(BENCHES) : args.only.split(',').map(name => name.trim())
const unknown = chosen.filter(name => BENCHES[name] === undefined)
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`)
  process.exit(2)
}

async function run(script: string, figuresFile: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_FIGURES_FILE: figuresFile }
  })
  return await new Promise(resolve => child.on('exit', code => resolve(code)))
}

const folder = mkdtempSync(path.join(tmpdir(), 'core314-bench-'))
const figuresFile = path.join(folder, 'figures.jsonl')
const failed: string[] = []
try {
  for (const name of chosen) {
    console.log(`\n=== bench:${name} ===`)
    const code = await run(BENCHES[name] as string, figuresFile)
    if (code !== 0) failed.push(`${name} (exit ${String(code)})`)
  }
  // A benchmark that failed before its first figure leaves no file at all.
  const text = existsSync(figuresFile) ? readFileSync(figuresFile, 'utf8') : ''
  const figures = text
    .split('\n')
    .filter(line => line !== '')
    .map(line => JSON.parse(line) as Figure)
  const rows = figures.map(figure => [
    figure.bench,
    figure.name,
    formatValue(figure),
    figure.seed,
    figure.ours,
    figure.met === undefined ? '' : figure.met ? 'met' : 'NOT met'
  ])
  const header = ['bench', 'figure', 'value', 'seed target', 'our target', 'verdict']
  const stamp = currentStamp(chosen, args.only === undefined && failed.length === 0)
  console.log('\n=== figures ===')
  if (args.markdown) {
    console.log(figuresMarkdown(figures, stamp))
  } else {
    const widths = header.map((_, column) => Math.max(...[header, ...rows].map(row => (row[column] as string).length)))
    for (const row of [header, ...rows])
      console.log(
        row
          .map((cell, column) =>
            column === 2 ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number)
          )
          .join('  ')
          .trimEnd()
      )
  }
  if (args.write !== undefined) {
    writeFigures(args.write, figures, stamp)
    console.log(`\nwrote the figures into ${args.write}`)
  }
  const judged = figures.filter(figure => figure.met !== undefined)
  console.log(
    `\n${judged.filter(figure => figure.met === true).length} of ${judged.length} targets met${failed.length > 0 ? `; failed to run: ${failed.join(', ')}` : ''}`
  )
} finally {
  rmSync(folder, { recursive: true, force: true })
}
process.exitCode = failed.length > 0 ? 1 : 0
