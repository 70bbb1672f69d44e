// A job that is not exclusive (the heal job) holds its lock only to claim a tick: while one
// instance's run is stuck (a silent control endpoint, a frozen process), another instance runs
// the next tick, and still no tick runs twice. An exclusive job's stuck run blocks the next
// tick everywhere, which is what broke lease takeover when the heal job was exclusive, but only
// while its instance lives: a silent one loses the lock after JOB_LOCK_TIMEOUT_MS. On one
// instance, a non-exclusive job may have `concurrency` runs going.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { JobDefinition } from '../../src/jobs/scheduler.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { testConfig } from '../helpers/app.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { tolerateConnectionLoss } from '../../src/db/errors.js'

const T = new Date('2026-01-01T00:00:00Z')
const next = (seconds: number): Date => new Date(T.getTime() + seconds * 1000)

async function started(runs: string[], ...prefixes: string[]): Promise<void> {
  while (!prefixes.every(prefix => runs.some(run => run.startsWith(prefix))))
    await new Promise(resolve => setTimeout(resolve, 10))
}

t.test('a stuck run of a non-exclusive job does not stop the next tick on another instance', async t => {
  const { url } = await freshDatabase(t)
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => {
    release = resolve
  })
  const runs: string[] = []
  const job = (instance: string, exclusive: boolean, name: string): JobDefinition => ({
    name,
    schedule: null,
    exclusive,
    run: async ({ tick }) => {
      runs.push(`${name} ${instance} ${tick.toISOString()}`)
      if (instance === 'a') await gate
    }
  })
  const a = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [job('a', false, 'shared'), job('a', true, 'exclusive')]
  })
  const b = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [job('b', false, 'shared'), job('b', true, 'exclusive')]
  })
  t.teardown(async () => {
    release()
    await a.close()
    await b.close()
  })
  const sql = ownerSql(t, url)

  const stuck = a.scheduler.tick('shared', T)
  const stuckExclusive = a.scheduler.tick('exclusive', T)
  await started(runs, 'shared a', 'exclusive a')
  t.equal(await b.scheduler.tick('shared', T), 'skipped_locked', 'the tick a runs is not run again')
  t.equal(await b.scheduler.tick('shared', next(1)), 'succeeded', 'the next tick runs on b while a is stuck')
  t.equal(
    await b.scheduler.tick('exclusive', next(1)),
    'skipped_locked',
    "an exclusive job's next tick waits for the stuck run"
  )
  t.same(
    await sql`select job_name, last_tick, last_outcome, run_count from job_runs where job_name = 'shared'`,
    [{ job_name: 'shared', last_tick: next(1), last_outcome: 'succeeded', run_count: 2 }],
    "both runs recorded, the finished one's outcome"
  )

  release()
  t.equal(await stuck, 'succeeded')
  t.equal(await stuckExclusive, 'succeeded')
  t.same(
    runs.filter(run => run.startsWith('shared')).sort(),
    [`shared a ${T.toISOString()}`, `shared b ${next(1).toISOString()}`],
    'each tick ran once'
  )
})

t.test('a non-exclusive job records a tick it has started before it ends, and its failure after', async t => {
  const { url } = await freshDatabase(t)
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => {
    release = resolve
  })
  const runs: string[] = []
  const app = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [
      {
        name: 'flaky',
        schedule: null,
        exclusive: false,
        run: async () => {
          runs.push('flaky')
          await gate
          throw new Error('endpoint gone')
        }
      }
    ]
  })
  t.teardown(async () => {
    release()
    await app.close()
  })
  const sql = ownerSql(t, url)

  const running = app.scheduler.tick('flaky', T)
  await started(runs, 'flaky')
  t.same(
    await sql`select last_tick, last_outcome, run_count from job_runs`,
    [{ last_tick: T, last_outcome: null, run_count: 1 }],
    'claimed: a tick, no outcome yet'
  )
  release()
  t.equal(await running, 'failed')
  t.same(await sql`select last_outcome, last_error, failure_count from job_runs`, [
    { last_outcome: 'failed', last_error: 'endpoint gone', failure_count: 1 }
  ])
})

t.test(
  "an exclusive job's lock holds while its instance lives, and is dropped once the instance falls silent",
  async t => {
    const { url } = await freshDatabase(t)
    const direct = new URL(url)
    const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
    const viaProxy = new URL(url)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => {
      release = resolve
    })
    const runs: string[] = []
    const job = (instance: string): JobDefinition => ({
      name: 'exclusive',
      schedule: null,
      run: async ({ tick }) => {
        runs.push(`${instance} ${tick.toISOString()}`)
        if (instance === 'a') await gate
      }
    })
    // Wide enough that a heartbeat (a third of it) is never late on a loaded 2-core machine: at 600 ms
    // a busy moment let PostgreSQL end a live session and the test fail.
    const lockTimeoutMs = 2000
    const a = await buildApp(testConfig({ databaseUrl: viaProxy.toString(), jobLockTimeoutMs: lockTimeoutMs }), {
      logger: false,
      jobs: [job('a')]
    })
    const b = await buildApp(testConfig({ databaseUrl: url, jobLockTimeoutMs: lockTimeoutMs }), {
      logger: false,
      jobs: [job('b')]
    })
    const handler = tolerateConnectionLoss(() => {})
    t.teardown(async () => {
      release()
      await proxy.close()
      await a.close()
      await b.close()
      process.off('unhandledRejection', handler)
    })

    const stuck = a.scheduler.tick('exclusive', T)
    await started(runs, 'a')
    await new Promise(resolve => setTimeout(resolve, lockTimeoutMs * 3))
    t.equal(
      await b.scheduler.tick('exclusive', next(1)),
      'skipped_locked',
      'a live run keeps its lock past the timeout: its heartbeat keeps the session busy'
    )

    proxy.freeze()
    let outcome = 'skipped_locked'
    for (let second = 2; outcome === 'skipped_locked' && second < 60; second++) {
      await new Promise(resolve => setTimeout(resolve, lockTimeoutMs / 2))
      outcome = await b.scheduler.tick('exclusive', next(second))
    }
    t.equal(outcome, 'succeeded', 'once a falls silent, PostgreSQL ends its session and b runs the job')
    t.ok(runs.some(run => run.startsWith('b ')))

    release()
    await proxy.close()
    t.equal(await stuck, 'failed', 'the silent instance cannot record a tick it no longer holds')
  }
)

t.test("one instance runs up to a non-exclusive job's concurrency at once; an exclusive job one", async t => {
  const { url } = await freshDatabase(t)
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => {
    release = resolve
  })
  const runs: string[] = []
  const stuckJob = (name: string, options: Partial<JobDefinition>): JobDefinition => ({
    name,
    schedule: null,
    ...options,
    run: async ({ tick }) => {
      runs.push(`${name} ${tick.toISOString()}`)
      await gate
    }
  })
  const app = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [
      stuckJob('pair', { exclusive: false, concurrency: 2 }),
      stuckJob('single', { exclusive: false }),
      stuckJob('exclusive', {})
    ]
  })
  t.teardown(async () => {
    release()
    await app.close()
  })

  const going = [app.scheduler.tick('pair', T), app.scheduler.tick('single', T), app.scheduler.tick('exclusive', T)]
  await started(runs, 'pair', 'single', 'exclusive')
  const second = app.scheduler.tick('pair', next(1))
  await started(runs, `pair ${next(1).toISOString()}`)
  t.equal(await app.scheduler.tick('pair', next(2)), 'skipped_overlap', 'a third run of a concurrency-2 job waits')
  t.equal(await app.scheduler.tick('single', next(1)), 'skipped_overlap', 'the default is one run at a time')
  t.equal(await app.scheduler.tick('exclusive', next(1)), 'skipped_overlap')
  release()
  t.same(await Promise.all([...going, second]), ['succeeded', 'succeeded', 'succeeded', 'succeeded'])
})
