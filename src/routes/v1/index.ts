// The /v1 API: one module per resource, each encapsulated.
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import healthEvents from './health-events.js'
import anomalies from './anomalies.js'
import detect from './detect.js'
import health from './health.js'
import recoveryActions from './recovery-actions.js'
import selftests from './selftests.js'
import components from './components.js'
import monitor from './monitor.js'
import selfHealing from './self-healing.js'
import circuitBreakers from './circuit-breakers.js'
import escalations from './escalations.js'
import decisions from './decisions.js'
import predictiveAlerts from './predictive-alerts.js'
import ingestKeys from './ingest-keys.js'
import integrations from './integrations.js'
import channels from './channels.js'
import silences from './silences.js'
import stream from './stream.js'
import runbooks from './runbooks.js'
import runbookRuns from './runbook-runs.js'

const v1: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  await app.register(healthEvents, { config })
  await app.register(health)
  await app.register(anomalies)
  await app.register(detect, { config })
  await app.register(recoveryActions, { config, healing: app.healing })
  await app.register(selfHealing, { healing: app.healing })
  await app.register(circuitBreakers)
  await app.register(selftests, { config })
  await app.register(components, { config })
  await app.register(monitor, { config })
  await app.register(escalations)
  await app.register(decisions)
  await app.register(predictiveAlerts)
  await app.register(ingestKeys)
  await app.register(integrations, { config })
  await app.register(channels, { config })
  await app.register(silences, { config })
  await app.register(stream, { config })
  await app.register(runbooks, { healing: app.healing })
  await app.register(runbookRuns)
}

export default v1
