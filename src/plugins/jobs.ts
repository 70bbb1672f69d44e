// Runs the cron schedules inside the app's lifecycle: they start once the app is ready and,
// on close, stop scheduling and finish the ticks already running before the pool closes.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { jobDefinitions } from '../jobs/index.js'
import { Scheduler, type JobDefinition } from '../jobs/scheduler.js'

declare module 'fastify' {
  interface FastifyInstance {
    scheduler: Scheduler
  }
}

export interface JobsOptions {
  config: Config
  /** Replaces the built-in job list (tests schedule their own). */
  jobs?: JobDefinition[]
}

export default fp(
  async (app, options: JobsOptions) => {
    const scheduler = new Scheduler(
      {
        sql: app.db.sql,
        log: app.log.child({ component: 'scheduler' }),
        metrics: app.metrics,
        lockTimeoutMs: options.config.jobLockTimeoutMs
      },
      options.jobs ??
        jobDefinitions({
          config: options.config,
          db: app.jobDb,
          healing: app.healing,
          inject: async request => await app.inject(request)
        })
    )
    app.decorate('scheduler', scheduler)
    if (options.config.jobsEnabled)
      app.addHook('onReady', async () => {
        scheduler.start()
      })
    app.addHook('onClose', async () => {
      await scheduler.stop()
    })
  },
  { name: 'jobs', dependencies: ['db', 'metrics', 'healing'] }
)
