// The headline figures of a benchmark, each beside its targets. A benchmark still prints its own
// detail for a person; these are what `npm run bench` (bench/all.ts) gathers from every benchmark
// into one table: when BENCH_FIGURES_FILE is set, each figure is appended to it as a JSON line.
import { appendFileSync } from 'node:fs'

export interface Figure {
  bench: string
  name: string
  value: number
  unit: string
  /** The seed's target for this figure, in words ('-' where the seed sets none). */
  seed: string
  /** Ours, in words. */
  ours: string
  /** Whether our target was met; undefined where the figure is informative only. */
  met?: boolean | undefined
}

export function formatValue(figure: Pick<Figure, 'value' | 'unit'>): string {
  const digits =
    Number.isInteger(figure.value) || Math.abs(figure.value) >= 100 ? 0 : Math.abs(figure.value) >= 10 ? 1 : 2
  const number = figure.value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  return figure.unit === '' ? number : `${number} ${figure.unit}`
}

export function reportFigure(figure: Figure): void {
  const verdict = figure.met === undefined ? '' : figure.met ? '  met' : '  NOT met'
  console.log(`[figure] ${figure.name}: ${formatValue(figure)}  (seed: ${figure.seed}; ours: ${figure.ours})${verdict}`)
  const file = process.env.BENCH_FIGURES_FILE
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(figure)}\n`)
}
