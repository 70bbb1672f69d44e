// Liveness and readiness for orchestrators: /healthz while the process lives, /readyz only
// while the database answers and every migration is applied as it is on disk.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { migrationsCurrent, type MigrationFile } from '../db/migrate.js'
import { OperationalStatus } from '../schemas/operations.js'
import { ref } from '../schemas/ref.js'

const READINESS_TIMEOUT_MS = 2000

const operations: FastifyPluginAsyncTypebox<{ migrations: MigrationFile[] }> = async (app, { migrations }) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['operations'],
        summary: 'The process is alive',
        description:
          'Public. 200 while the process is alive; it does not touch the database, so an orchestrator restarts the process only when it is stuck, not when the database is away.',
        response: { 200: ref(OperationalStatus, 'Alive') }
      }
    },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'The service can serve: database reachable and migrations current',
        description:
          'Public. 200 when the database answers within 2 s and every migration on disk is applied; else 503 with which check failed, so a load balancer stops sending traffic.',
        response: {
          200: ref(OperationalStatus, 'Ready: every check passed'),
          503: ref(OperationalStatus, 'Not ready: the checks say which failed')
        }
      }
    },
    async (request, reply) => {
      let database = false
      let current = false
      try {
        const check = migrationsCurrent(app.db.sql, migrations)
        const timeout = new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new Error('readiness check timed out')), READINESS_TIMEOUT_MS).unref()
        )
        current = await Promise.race([check, timeout])
        database = true
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
      }
      const ready = database && current
      return await reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ok' : 'unavailable', checks: { database, migrations: current } })
    }
  )
}

export default operations
