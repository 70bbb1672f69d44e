// Closing the app does not wait on its clients' keep-alive: an idle keep-alive connection, a
// connection opened ahead of need that has carried nothing, and one whose first request arrives
// while the app closes all end with the drain, the last with an answer rather than a reset.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { buildApp } from '../../src/app.js'
import { buildTestApp } from '../helpers/app.js'

interface RawConnection {
  socket: Socket
  received: () => string
  closed: Promise<unknown>
}

async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8').on('data', chunk => {
    received += chunk
  })
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  return { socket, received: () => received, closed }
}

const GET_HEALTHZ = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n'

t.test('the drain closes connections its clients leave open, and answers a request arriving during it', async t => {
  const ctx = await buildTestApp(t)
  const app = await buildApp(ctx.config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const idle = await rawConnection(port)
  idle.socket.write(GET_HEALTHZ)
  while (!idle.received().includes('\r\n\r\n')) await once(idle.socket, 'data')
  t.match(idle.received(), /^HTTP\/1\.1 200 /, 'a keep-alive connection, idle after its answer')
  const unused = await rawConnection(port)
  const late = await rawConnection(port)
  t.teardown(() => {
    for (const connection of [idle, unused, late]) connection.socket.destroy()
  })

  const closing = app.close()
  // The idle connection is closed once the app is closing: the late request comes after that.
  await idle.closed
  late.socket.write(GET_HEALTHZ)
  await closing
  // None of the three was closed by the client: each close here is the server's.
  await Promise.all([unused.closed, late.closed])
  t.pass('the app closed with all three connections open on the client side, and the server closed each')
  t.equal(unused.received(), '', 'the connection that carried nothing is closed without a word')
  t.match(late.received(), /^HTTP\/1\.1 503 /, 'the request that came during the drain is answered 503')
  t.match(late.received(), /\r\nconnection: close\r\n/i, 'and told the connection closes')
})
