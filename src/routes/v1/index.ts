// The /v1 API: one module per resource, each encapsulated.
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import healthEvents from './health-events.js'
import anomalies from './anomalies.js'
import health from './health.js'
import recoveryActions from './recovery-actions.js'
import selftests from './selftests.js'
import components from './components.js'

const v1: FastifyPluginAsync<{ config: Config }> = async (app) => {
  await app.register(healthEvents)
  await app.register(health)
  await app.register(anomalies)
  await app.register(recoveryActions)
  await app.register(selftests)
  await app.register(components)
}

export default v1
