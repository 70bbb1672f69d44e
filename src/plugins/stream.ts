// The instance's event stream hub (src/services/stream-hub.ts), shared by every open
// GET /v1/stream. Streams never end by themselves, so the hub ends them when the app starts
// closing: a draining instance finishes instead of waiting for its watchers to leave.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createStreamHub, type StreamHub } from '../services/stream-hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    stream: StreamHub
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    const hub = createStreamHub({
      db: app.db,
      maxPerCaller: config.streamMaxPerCaller,
      log: app.log.child({ component: 'stream' })
    })
    app.decorate('stream', hub)
    app.addHook('preClose', async () => {
      await hub.close()
    })
  },
  { name: 'stream', dependencies: ['db'] }
)
