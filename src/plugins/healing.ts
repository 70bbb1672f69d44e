// The one healing engine of the app, shared by the routes that act (execute, rollback, run)
// and the heal job, so a process has one lease owner and logs through the app's logger.
// Built at boot so a healing map naming an unknown action fails the start, not a tick.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createHealingEngine, type HealingEngine } from '../services/healing/engine.js'

declare module 'fastify' {
  interface FastifyInstance {
    healing: HealingEngine
  }
}

export default fp(
  async (app, options: { config: Config }) => {
    app.decorate(
      'healing',
      createHealingEngine({
        db: app.db,
        config: options.config.healing,
        secretsKey: options.config.secretsKey as string,
        log: app.log.child({ component: 'healing' })
      })
    )
  },
  { name: 'healing', dependencies: ['db'] }
)
