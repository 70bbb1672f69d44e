// The notification dispatcher of the organizations' channels: every CHANNEL_DISPATCH_INTERVAL_MS
// (when jobs run in this process) it delivers what the outbox holds that is due. Instances share
// the work through the outbox's claims, so any number may run it. `app.channels.dispatch()` runs
// it once, for tests and operators.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { dispatchDue, type DispatchReport } from '../services/channels/dispatcher.js'
import { targetPolicy } from '../lib/address-policy.js'
import { secretsKey } from '../services/secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    channels: { dispatch: () => Promise<DispatchReport> }
  }
}

export default fp(
  async (app, options: { config: Config }) => {
    const { integrations, jobsEnabled } = options.config
    const settings = {
      secretsKey: secretsKey(options.config.secretsKey as string),
      policy: targetPolicy(options.config.healing.allowedTargets),
      maxAttempts: integrations.channelMaxAttempts,
      retryMaxMs: integrations.channelRetryMaxMs,
      timeoutMs: integrations.channelTimeoutMs
    }
    const log = app.log.child({ component: 'channels' })
    const stopping = new AbortController()
    const dispatch = async (): Promise<DispatchReport> => await dispatchDue(app.db, settings, log, stopping.signal)
    app.decorate('channels', { dispatch })
    if (!jobsEnabled) return

    let timer: NodeJS.Timeout | undefined
    let running: Promise<void> | undefined
    const tick = (): void => {
      if (running !== undefined) return
      running = dispatch()
        .then(report => {
          if (report.sent + report.retried + report.failed > 0) log.info(report, 'notifications dispatched')
        })
        .catch((err: unknown) => {
          log.error({ err }, 'notification dispatch failed')
        })
        .finally(() => {
          running = undefined
        })
    }
    app.addHook('onReady', async () => {
      timer = setInterval(tick, integrations.channelDispatchIntervalMs)
    })
    app.addHook('onClose', async () => {
      clearInterval(timer)
      stopping.abort()
      await running
    })
  },
  { name: 'channels', dependencies: ['db'] }
)
