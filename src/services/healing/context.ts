// What every part of the engine works with: the Db port, the policy, who this instance is (its
// lease owner id) and where escalations go. The engine's own work runs as the service role.
import type { FastifyBaseLogger } from 'fastify'
import type { HealingConfig } from '../../config.js'
import type { Db } from '../../db/port.js'
import type { NotificationChannel } from '../notify/types.js'
import type { SecretsKey } from '../secrets.js'
import type { TargetPolicy } from '../../lib/address-policy.js'

export interface EngineContext {
  db: Db
  config: HealingConfig
  /** This instance's lease owner id: host, process and a random part, unique per engine. */
  owner: string
  channels: NotificationChannel[]
  /** Where control targets may point (HEAL_ALLOWED_TARGETS over public addresses). */
  policy: TargetPolicy
  /** Opens the webhook secrets the registry stores sealed. */
  secretsKey: SecretsKey
  log: FastifyBaseLogger
}
