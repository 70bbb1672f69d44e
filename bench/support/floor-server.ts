// The floor for single POSTs in `bench:ingest`: the least a Node HTTP front that sends each
// event's statement alone can do per event on this machine. Bare Fastify, no logger,
// authentication, validation, rate limit, metrics or group commit; each POST sends the service's
// own single statement (core314.insert_health_event_as, as the service role) through postgres.js
// and answers 201 with the row. Its rate against the raw per-row transaction says how much of the
// single-POST ratio HTTP and one Node process cost before the service does any work of its own.
import Fastify from 'fastify'
import { SERVICE_CALLER } from '../../src/db/caller.js'
import { createSql } from '../../src/db/client.js'
import { insertHealthEventAsQuery } from '../../src/db/health-events.js'
import type { HealthEventInputBody } from '../../src/schemas/health-events.js'

const url = process.env.DATABASE_URL
if (url === undefined) throw new Error('floor-server needs DATABASE_URL')
const sql = createSql(url)
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
app.post('/v1/health-events', async (request, reply) => {
  const [row] = await insertHealthEventAsQuery(sql, SERVICE_CALLER, request.body as HealthEventInputBody)
  return await reply.code(201).send(row)
})
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
// startServer reads the address from a JSON line, as it does from the service's log.
console.log(JSON.stringify({ level: 30, address }))

async function stop(): Promise<void> {
  await app.close()
  await sql.end()
}
process.once('SIGTERM', () => {
  void stop()
})
