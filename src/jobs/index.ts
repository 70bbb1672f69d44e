// The scheduled jobs: each tick calls the same service function its route calls.
import type { Config } from '../config.js'
import type { Db } from '../plugins/db.js'
import type { JobDefinition } from './scheduler.js'
import { runMaintenance } from '../services/maintenance.js'
import { healJob } from './heal.js'

export interface JobDeps {
  config: Config
  db: Db
}

export function jobDefinitions ({ config, db }: JobDeps): JobDefinition[] {
  return [
    { name: 'maintenance', schedule: config.schedules.maintenance, run: async ({ log }) => log.info(await runMaintenance(db), 'maintenance done') },
    healJob(config, db)
  ]
}
