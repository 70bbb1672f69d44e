// What every part of the engine works with: the pool, the policy, who this instance is (its
// lease owner id) and where escalations go. The engine's own work runs as the service role.
import type { FastifyBaseLogger } from 'fastify'
import type { HealingConfig } from '../../config.js'
import type { Sql } from '../../db/client.js'
import type { NotificationChannel } from '../notify/types.js'

export interface EngineContext {
  sql: Sql
  config: HealingConfig
  /** This instance's lease owner id: host, process and a random part, unique per engine. */
  owner: string
  channels: NotificationChannel[]
  log: FastifyBaseLogger
}
