// What the jobs are built with: the app's configuration, database port and healing engine.
import type { Config } from '../config.js'
import type { Db } from '../db/port.js'
import type { HealingEngine } from '../services/healing/engine.js'
import type { Inject } from '../services/selftests/types.js'

export interface JobDeps {
  config: Config
  db: Db
  /** The app's healing engine, shared with the routes that act. */
  healing: HealingEngine
  /** The app's inject, for the self-test that checks the API through it. */
  inject?: Inject | undefined
}
