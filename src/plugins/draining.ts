// Shutdown without waiting on keep-alive: once the app starts closing, every response still
// being served asks the client to close its connection, so the server can finish as soon as
// in-flight requests are answered instead of when idle keep-alive sockets time out.
import fp from 'fastify-plugin'

export default fp(
  async app => {
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close')
    })
  },
  { name: 'draining' }
)
