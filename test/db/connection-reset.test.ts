// A query never waits forever on a connection that was reset. postgres.js 3.4.9 fails the
// queries on a connection when its socket errors (ECONNRESET, EPIPE), but the socket only
// closes a moment later, and a query given to the connection in between (a retry, a
// transaction's rollback, the next request pipelined onto a busy connection) was written to
// the dead socket and, the close being "with error", never failed: it hung for good.
// patches/postgres+3.4.9.patch fails those too when the socket closes.
import t from 'tap'
import { createSql } from '../../src/db/client.js'
import { clientErrorFor, isConnectionLoss } from '../../src/db/errors.js'
import { freshDatabase } from '../helpers/database.js'
import { proxiedDatabase } from '../helpers/tcp-proxy.js'

t.test('a query given to a connection between its reset and its close settles, and the pool serves again', async t => {
  const { url } = await freshDatabase(t)
  const { proxy, url: viaProxy } = await proxiedDatabase(t, url)
  const sql = createSql(viaProxy, { max: 1 })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
  })
  await sql`select 1`

  let settled: 'no' | 'resolved' | 'rejected' = 'no'
  let lateError: unknown
  const first = sql`select pg_sleep(5)`.catch((error: unknown) => {
    // Still the reset's own turn of the event loop: the socket has errored, not yet closed.
    sql`select 1 as late`.then(
      () => {
        settled = 'resolved'
      },
      (error: unknown) => {
        settled = 'rejected'
        lateError = error
      }
    )
    throw error
  })
  await new Promise(resolve => setTimeout(resolve, 100))
  proxy.reset()
  const firstError = await first.catch((error: unknown) => error)
  t.ok(isConnectionLoss(firstError), `the running query fails with a connection loss (${String(firstError)})`)

  // The reset connection has closed by now; the next query opens a new one. A query handed to
  // the dead one before it closed must have settled by the time this one is answered.
  await new Promise(resolve => setTimeout(resolve, 100))
  t.same(await sql`select 2 as two`, [{ two: 2 }], 'the pool serves again')
  t.equal(settled, 'rejected', 'the query given to the dying connection failed instead of waiting forever')
  t.ok(isConnectionLoss(lateError), `as a connection loss, which a route answers with 503 (${String(lateError)})`)
})

t.test('a socket error from a connection the server closed is a connection loss: 503, retry', async t => {
  // What postgres.js gives a query written to a socket whose backend was terminated a moment before.
  for (const code of [
    'EPIPE',
    'ECONNRESET',
    'ECONNABORTED',
    'ERR_STREAM_WRITE_AFTER_END',
    'ERR_STREAM_DESTROYED',
    'ERR_SOCKET_CLOSED'
  ]) {
    const error = Object.assign(new Error(`write ${code}`), { code, errno: -32, syscall: 'write' })
    t.ok(isConnectionLoss(error), `${code} is a connection loss`)
    t.match(clientErrorFor(error), { statusCode: 503 }, `${code} answers 503`)
  }
})
