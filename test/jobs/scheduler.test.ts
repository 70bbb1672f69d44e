// The job frame: with two instances on one database a tick runs on one of them only; a tick
// that would overlap a running one is skipped; failures are counted, never thrown.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { JobDefinition } from '../../src/jobs/scheduler.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { testConfig } from '../helpers/app.js'

function recordingJob(name: string, runs: string[], instance: string, work: () => Promise<void>): JobDefinition {
  return {
    name,
    schedule: null,
    run: async () => {
      runs.push(instance)
      await work()
    }
  }
}

t.test('a tick runs on only one of two instances sharing a database', async t => {
  const { url } = await freshDatabase(t)
  const runs: string[] = []
  const slow = async (): Promise<void> => {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const a = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [recordingJob('probe', runs, 'a', slow)]
  })
  const b = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [recordingJob('probe', runs, 'b', slow)]
  })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })

  const tick = new Date('2026-01-01T00:00:00Z')
  const outcomes = await Promise.all([a.scheduler.tick('probe', tick), b.scheduler.tick('probe', tick)])
  t.same(outcomes.sort(), ['skipped_locked', 'succeeded'])
  t.equal(runs.length, 1)

  // The instance that lost the race may come late, after the winner released the lock.
  t.equal(await b.scheduler.tick('probe', tick), 'skipped_locked', 'a tick already run is not run again')
  t.equal(await a.scheduler.tick('probe', new Date(tick.getTime() + 1000)), 'succeeded', 'the next tick runs')
  const sql = ownerSql(t, url)
  t.same(await sql`select job_name, last_outcome, run_count from job_runs`, [
    { job_name: 'probe', last_outcome: 'succeeded', run_count: 2 }
  ])
})

t.test('scheduled every second on two instances, each tick runs once', async t => {
  const { url } = await freshDatabase(t)
  const ticks: string[] = []
  const config = testConfig({ databaseUrl: url, jobsEnabled: true })
  const job = (): JobDefinition => ({
    name: 'every-second',
    schedule: '* * * * * *',
    run: async ({ tick }) => {
      ticks.push(tick.toISOString())
    }
  })
  const a = await buildApp(config, { logger: false, jobs: [job()] })
  const b = await buildApp(config, { logger: false, jobs: [job()] })
  await new Promise(resolve => setTimeout(resolve, 3200))
  await Promise.all([a.close(), b.close()])
  const sql = ownerSql(t, url)
  const [row] = await sql<{ run_count: number }[]>`select run_count from job_runs where job_name = 'every-second'`
  t.ok(ticks.length >= 2, `ticks ran (${ticks.length})`)
  t.equal(new Set(ticks).size, ticks.length, 'no tick ran on both instances')
  t.equal(row?.run_count, ticks.length, 'every run recorded')
})

t.test('an overlapping tick is skipped and counted; a failure is counted, not thrown', async t => {
  const { url } = await freshDatabase(t)
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => {
    release = resolve
  })
  const app = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [
      {
        name: 'held',
        schedule: null,
        run: async () => {
          await gate
        }
      },
      {
        name: 'broken',
        schedule: null,
        run: async () => {
          throw new Error('job exploded')
        }
      }
    ]
  })
  t.teardown(() => app.close())
  const first = app.scheduler.tick('held', new Date('2026-01-01T00:00:00Z'))
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(await app.scheduler.tick('held', new Date('2026-01-01T00:00:01Z')), 'skipped_overlap')
  release()
  t.equal(await first, 'succeeded')
  t.equal(await app.scheduler.tick('broken'), 'failed')

  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, /job_runs_total\{job_name="held",outcome="skipped_overlap"\} 1/)
  t.match(metrics, /job_runs_total\{job_name="broken",outcome="failed"\} 1/)
  const sql = ownerSql(t, url)
  t.same(await sql`select last_outcome, last_error from job_runs where job_name = 'broken'`, [
    { last_outcome: 'failed', last_error: 'job exploded' }
  ])
})

t.test('closing the app waits for a running tick to finish', async t => {
  const { url } = await freshDatabase(t)
  let finished = false
  const app = await buildApp(testConfig({ databaseUrl: url }), {
    logger: false,
    jobs: [
      {
        name: 'long',
        schedule: null,
        run: async () => {
          await new Promise(resolve => setTimeout(resolve, 300))
          finished = true
        }
      }
    ]
  })
  const tick = app.scheduler.tick('long')
  await new Promise(resolve => setTimeout(resolve, 50))
  await app.close()
  t.equal(finished, true)
  t.equal(await tick, 'succeeded')
})
