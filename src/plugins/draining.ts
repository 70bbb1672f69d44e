// Shutdown without waiting on keep-alive: once the app starts closing, every response still
// being served asks the client to close its connection, so the server can finish as soon as
// in-flight requests are answered instead of when idle keep-alive sockets time out.
//
// A connection a client opened ahead of need (browsers and undici open spares) and has sent
// nothing on is neither idle nor busy to Node: `closeIdleConnections` spares it, and
// `server.close()` then waits until the client drops it, after the keep-alive the server
// advertised (about 70 s). Once closing, such a connection gets a moment for a request already
// on its way (answered 503 by the closing app), then is closed.
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'

const UNUSED_CONNECTION_GRACE_MS = 1000

function closeIfUnused(socket: Socket): void {
  setTimeout(() => {
    if (socket.bytesRead === 0) socket.destroy()
  }, UNUSED_CONNECTION_GRACE_MS).unref()
}

export default fp(
  async app => {
    let closing = false
    const connections = new Set<Socket>()
    app.server.on('connection', (socket: Socket) => {
      if (closing) {
        closeIfUnused(socket)
        return
      }
      connections.add(socket)
      socket.once('close', () => connections.delete(socket))
    })
    app.addHook('preClose', async () => {
      closing = true
      for (const socket of connections) if (socket.bytesRead === 0) closeIfUnused(socket)
      connections.clear()
    })
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close')
    })
  },
  { name: 'draining' }
)
