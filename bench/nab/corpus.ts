// Reads the Numenta Anomaly Benchmark corpus as laid out in ../shared/nab: data/<category>/<file>.csv
// (timestamp,value), labels/combined_windows.json and profiles.json. Windows are resolved to row
// indexes here once, so the scorer works on positions the way NAB's sweeper does.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

export interface Series {
  /** Relative path as NAB names it, e.g. `realKnownCause/nyc_taxi.csv`. */
  name: string
  category: string
  timestamps: string[]
  times: number[]
  values: number[]
}

/** An anomaly window as inclusive row indexes into its series. */
export interface Window {
  start: number
  end: number
}

export interface CostMatrix {
  tpWeight: number
  fpWeight: number
  fnWeight: number
}

export type Profiles = Record<string, CostMatrix>

// NAB's timestamps carry no zone; reading them as UTC keeps the spacing exact whatever the host's zone.
export function parseTimestamp(text: string): number {
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`)
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: "${text}"`)
  return ms
}

export function parseSeries(name: string, csv: string): Series {
  const lines = csv.split(/\r?\n/).filter(line => line.trim() !== '')
  const header = lines.shift()
  if (header?.trim() !== 'timestamp,value') throw new Error(`${name}: expected header timestamp,value, got "${header}"`)
  const timestamps: string[] = []
  const times: number[] = []
  const values: number[] = []
  for (const line of lines) {
    const comma = line.indexOf(',')
    const timestamp = line.slice(0, comma)
    const value = Number(line.slice(comma + 1))
    if (comma < 0 || !Number.isFinite(value)) throw new Error(`${name}: bad row "${line}"`)
    timestamps.push(timestamp)
    times.push(parseTimestamp(timestamp))
    values.push(value)
  }
  return { name, category: name.split('/')[0] ?? '', timestamps, times, values }
}

/** Every data file of the corpus, sorted by relative path so runs are reproducible. */
export function readCorpus(nabDir: string): Series[] {
  const dataDir = path.join(nabDir, 'data')
  const series: Series[] = []
  for (const category of readdirSync(dataDir).sort()) {
    const files = readdirSync(path.join(dataDir, category))
      .filter(file => file.endsWith('.csv'))
      .sort()
    for (const file of files) {
      const name = `${category}/${file}`
      series.push(parseSeries(name, readFileSync(path.join(dataDir, name), 'utf8')))
    }
  }
  return series
}

export function readWindowLabels(nabDir: string): Record<string, [string, string][]> {
  return JSON.parse(readFileSync(path.join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >
}

export function readProfiles(nabDir: string): Profiles {
  const raw = JSON.parse(readFileSync(path.join(nabDir, 'profiles.json'), 'utf8')) as Record<
    string,
    { CostMatrix: CostMatrix }
  >
  const profiles: Profiles = {}
  for (const [name, { CostMatrix: cost }] of Object.entries(raw)) {
    profiles[name] = { tpWeight: cost.tpWeight, fpWeight: cost.fpWeight, fnWeight: cost.fnWeight }
  }
  return profiles
}

/**
 * NAB finds a window by exact timestamp equality (sweeper.calcSweepScore); the labels carry
 * microseconds the data files do not, so both sides are compared as instants. A window edge that
 * matches no row is an error rather than a silent shift.
 */
export function resolveWindows(series: Series, limits: [string, string][]): Window[] {
  const index = new Map<number, number>()
  series.times.forEach((time, i) => index.set(time, i))
  return limits
    .map(([from, to]) => {
      const start = index.get(parseTimestamp(from))
      const end = index.get(parseTimestamp(to))
      if (start === undefined || end === undefined)
        throw new Error(`${series.name}: window ${from} .. ${to} does not fall on rows`)
      return { start, end }
    })
    .sort((a, b) => a.start - b.start)
}
