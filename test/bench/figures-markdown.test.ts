// `npm run bench -- --write FILE` puts the stamped table between the figures markers and keeps
// the hand-written text; the previous round's block goes only once every benchmark has run.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import {
  FIGURES_BEGIN,
  FIGURES_END,
  PREVIOUS_BEGIN,
  PREVIOUS_END,
  currentStamp,
  figuresMarkdown,
  withFigures
} from '../../bench/support/markdown.js'
import type { Figure } from '../../bench/support/figures.js'

const figures: Figure[] = [
  { bench: 'heal', name: 'engine time per action', value: 10.9, unit: 'ms', seed: '5 s', ours: '50 ms', met: true },
  { bench: 'monitor', name: 'median run', value: 2500, unit: 'ms', seed: '2 s', ours: '300 ms', met: false }
]
const document = `# Benchmarks\n\nintro\n\n${FIGURES_BEGIN}\nold table\n${FIGURES_END}\n\n${PREVIOUS_BEGIN}\n## Previous round\n\nold figures\n${PREVIOUS_END}\n\nfooter\n`

t.test('the table is stamped with date, machine and commit, one row per figure', async t => {
  const stamp = currentStamp(['heal', 'monitor'], false, new Date('2026-12-05T23:30:00.123Z'))
  t.ok(stamp.cores > 0)
  t.ok(stamp.memoryGb > 0)
  t.match(stamp.commit, /^[0-9a-f]{7,}|unknown/)
  const table = figuresMarkdown(figures, stamp)
  t.match(table, `Measured 2026-12-05T23:30:00Z on ${stamp.cores} cores (${stamp.cpu}), ${stamp.memoryGb} GB memory`)
  t.match(table, 'only heal, monitor')
  t.match(table, '| heal | engine time per action | 10.9 ms | 5 s | 50 ms | met |')
  t.match(table, '| monitor | median run | 2,500 ms | 2 s | 300 ms | NOT met |')
})

t.test('a partial run replaces the figures block and keeps the previous round', async t => {
  const written = withFigures(document, 'new table', false)
  t.match(written, `${FIGURES_BEGIN}\nnew table\n${FIGURES_END}`)
  t.notMatch(written, 'old table')
  t.match(written, 'old figures')
  t.match(written, /^# Benchmarks\n\nintro\n/)
  t.match(written, /footer\n$/)
})

t.test('a run of every benchmark also drops the previous round', async t => {
  const written = withFigures(document, 'new table', true)
  t.notMatch(written, 'old figures')
  t.notMatch(written, PREVIOUS_BEGIN)
  t.match(written, `${FIGURES_END}\n\nfooter\n`)
})

t.test('a document without the markers is refused, not overwritten', async t => {
  t.throws(() => withFigures('# nothing here\n', 'new table', true), /no <!-- bench:figures:begin -->/)
})

t.test('docs/benchmarks.md has the block the benchmarks write into', async t => {
  const text = await readFile('docs/benchmarks.md', 'utf8')
  t.doesNotThrow(() => withFigures(text, 'table', false))
})
