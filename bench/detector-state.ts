// `npm run bench:detector-state`: what one metric's stored scorer state costs the live detector per
// run. A scorer is fed a NAB series with a daily cycle (5,000 points, five-minute sampling), then
// its state is stored and read back the way a detection run does it: as plain JSON (the format
// before packing) and packed (src/lib/anomaly/state-codec.ts). Prints each form's size and the
// median time to write it (encode, then upsert into a jsonb column as detector_states is written)
// and read it (select, then decode), through an embedded PostgreSQL (or DATABASE_URL's server),
// and checks that the packed state scores the rest of the series exactly as the unbroken scorer
// does.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSql } from '../src/db/client.js'
import { createScorerState, scoreNext, type ScorerState } from '../src/lib/anomaly/adaptive-scorer.js'
import { packScorerState, unpackScorerState, type PackedScorerState } from '../src/lib/anomaly/state-codec.js'
import { parseSeries } from './nab/corpus.js'
import { benchDatabase } from './support/database.js'
import { reportFigure } from './support/figures.js'

const FILE = 'realKnownCause/machine_temperature_system_failure.csv'
const FED = 5000
const RUNS = 21
const BENCH_PORT = 54379

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const nabDir = process.env.NAB_DIR ?? path.resolve(repoRoot, '..', 'shared', 'nab')
const series = parseSeries(FILE, readFileSync(path.join(nabDir, 'data', FILE), 'utf8'))

const state = createScorerState()
for (let i = 0; i < FED; i++) scoreNext(state, series.values[i] as number, series.times[i] as number)

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

async function timed(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  // One warm-up run (JIT, plan caches) that is not counted.
  for (let i = 0; i <= RUNS; i++) {
    const started = performance.now()
    await run()
    if (i > 0) times.push(performance.now() - started)
  }
  return median(times)
}

const forms = [
  { name: 'plain JSON', encode: (): unknown => state, decode: (stored: unknown) => stored as ScorerState },
  {
    name: 'packed',
    encode: (): unknown => packScorerState(state),
    decode: (stored: unknown) => unpackScorerState(stored as PackedScorerState)
  }
]

// The packed state must go on exactly as the state it was packed from.
const unbroken = JSON.parse(JSON.stringify(state)) as ScorerState
const resumed = unpackScorerState(JSON.parse(JSON.stringify(packScorerState(state))) as PackedScorerState)
let differing = 0
for (let i = FED; i < series.values.length; i++) {
  const value = series.values[i] as number
  const time = series.times[i] as number
  if (scoreNext(unbroken, value, time).score !== scoreNext(resumed, value, time).score) differing++
}
if (differing > 0) throw new Error(`the unpacked state scored ${differing} points differently`)

console.log(`scorer state after ${FED} points of ${FILE}; the next ${series.values.length - FED} scored identically`)

const database = await benchDatabase('detector-state', BENCH_PORT)
const sql = createSql(database.url, { max: 1 })
try {
  await sql`create table states (id int primary key, state jsonb not null)`
  for (const [id, form] of forms.entries()) {
    const size = JSON.stringify(form.encode()).length
    const write = await timed(
      async () =>
        await sql`insert into states ${sql({ id, state: sql.json(form.encode() as never) } as never)}
          on conflict (id) do update set state = excluded.state`
    )
    const read = await timed(async () => {
      const [row] = await sql<Array<{ state: unknown }>>`select state from states where id = ${id}`
      return form.decode(row?.state)
    })
    console.log(
      `  ${form.name}: ${(size / 1024).toFixed(0)} KB, write ${write.toFixed(2)} ms, read ${read.toFixed(2)} ms`
    )
    reportFigure({
      bench: 'detector-state',
      name: `scorer state size (${form.name})`,
      value: size / 1024,
      unit: 'KB',
      seed: '-',
      ours: '-'
    })
    reportFigure({
      bench: 'detector-state',
      name: `scorer state write + read through PostgreSQL (${form.name})`,
      value: write + read,
      unit: 'ms',
      seed: '-',
      ours: '-'
    })
  }
} finally {
  await sql.end()
  await database.close()
}
