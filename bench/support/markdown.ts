// The figures table as Markdown, stamped with when, where and from which commit it was measured,
// and written into a document between markers, so the text around it stays hand-written and the
// numbers are only ever the benchmarks' own.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { formatValue, type Figure } from './figures.js'

export const FIGURES_BEGIN = '<!-- bench:figures:begin -->'
export const FIGURES_END = '<!-- bench:figures:end -->'
export const PREVIOUS_BEGIN = '<!-- bench:previous-round:begin -->'
export const PREVIOUS_END = '<!-- bench:previous-round:end -->'

export interface Stamp {
  date: string
  cores: number
  memoryGb: number
  cpu: string
  node: string
  commit: string
  /** The benchmarks that ran, or every one. */
  ran: string[]
  complete: boolean
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

export function currentStamp(ran: string[], complete: boolean, now = new Date()): Stamp {
  const commit = git('rev-parse', '--short', 'HEAD')
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== ''
  return {
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    commit: commit === '' ? 'unknown' : `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    ran,
    complete
  }
}

export function figuresMarkdown(figures: Figure[], stamp: Stamp): string {
  const rows = figures.map(figure => [
    figure.bench,
    figure.name,
    formatValue(figure),
    figure.seed,
    figure.ours,
    figure.met === undefined ? '' : figure.met ? 'met' : 'NOT met'
  ])
  const cell = (text: string): string => text.replaceAll('|', '\\|')
  return [
    `Measured ${stamp.date} on ${stamp.cores} cores (${stamp.cpu}), ${stamp.memoryGb} GB memory, Node ${stamp.node}, commit ${stamp.commit};`,
    `${stamp.complete ? 'every benchmark' : `only ${stamp.ran.join(', ')}`}. Written by \`npm run bench -- --write docs/benchmarks.md\`.`,
    '',
    '| bench | figure | value | seed target | our target | verdict |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(row => `| ${row.map(cell).join(' | ')} |`)
  ].join('\n')
}

function between(text: string, begin: string, end: string): { start: number; stop: number } | null {
  const start = text.indexOf(begin)
  const stop = text.indexOf(end)
  return start === -1 || stop < start ? null : { start, stop: stop + end.length }
}

/**
 * The document with its figures block replaced. A run of every benchmark also drops the block of
 * the previous round's figures, which stands only until everything has been measured again.
 */
export function withFigures(document: string, table: string, complete: boolean): string {
  const block = between(document, FIGURES_BEGIN, FIGURES_END)
  if (block === null)
    throw new Error(`the document has no ${FIGURES_BEGIN} ... ${FIGURES_END} block to write the figures into`)
  let next = `${document.slice(0, block.start)}${FIGURES_BEGIN}\n${table}\n${FIGURES_END}${document.slice(block.stop)}`
  const previous = complete ? between(next, PREVIOUS_BEGIN, PREVIOUS_END) : null
  if (previous !== null) next = `${next.slice(0, previous.start).trimEnd()}\n\n${next.slice(previous.stop).trimStart()}`
  return next
}

export function writeFigures(file: string, figures: Figure[], stamp: Stamp): void {
  writeFileSync(file, withFigures(readFileSync(file, 'utf8'), figuresMarkdown(figures, stamp), stamp.complete))
}
