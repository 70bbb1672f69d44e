// The /v1 API: one module per resource, each encapsulated.
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import healthEvents from './health-events.js'
import anomalies from './anomalies.js'
import health from './health.js'

const v1: FastifyPluginAsync<{ config: Config }> = async (app) => {
  await app.register(healthEvents)
  await app.register(health)
  await app.register(anomalies)
}

export default v1
