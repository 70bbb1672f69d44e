// A TCP proxy in front of PostgreSQL that a test can cut and restore, to make the database
// "go away" for one app without touching the server other test files share, or freeze, to
// make one app look to PostgreSQL like a frozen process: connections open, nothing said.
import net from 'node:net'
import type { Test } from 'tap'

export interface TcpProxy {
  port: number
  /** Drops every open connection and refuses new ones. */
  cut: () => Promise<void>
  /** Stops carrying bytes either way on the open connections, which stay open. */
  freeze: () => void
  /**
   * Aborts every open connection with a TCP RST towards the app, which then reads ECONNRESET,
   * as it does when a server process dies with bytes it never read or a middlebox drops it.
   */
  reset: () => void
  /** Accepts connections again. */
  restore: () => Promise<void>
  close: () => Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  const pairs = new Set<[net.Socket, net.Socket]>()
  let server: net.Server | undefined
  let port = 0

  async function listen(): Promise<void> {
    server = net.createServer(client => {
      const upstream = net.connect(targetPort, targetHost)
      sockets.add(client)
      sockets.add(upstream)
      client.pipe(upstream).pipe(client)
      const pair: [net.Socket, net.Socket] = [client, upstream]
      pairs.add(pair)
      const drop = (): void => {
        pairs.delete(pair)
        client.destroy()
        upstream.destroy()
        sockets.delete(client)
        sockets.delete(upstream)
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
    await new Promise<void>(resolve => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  }

  async function stop(): Promise<void> {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    const closing = server
    if (closing !== undefined) await new Promise<void>(resolve => closing.close(() => resolve()))
    server = undefined
  }

  await listen()
  return {
    get port() {
      return port
    },
    cut: stop,
    freeze: () => {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream).pause()
        upstream.unpipe(client).pause()
      }
    },
    reset: () => {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy()
        upstream.destroy()
      }
    },
    restore: listen,
    close: stop
  }
}

/** A proxy in front of a test database, closed when the test ends, and the URL through it. */
export async function proxiedDatabase(t: Test, url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const direct = new URL(url)
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
  t.teardown(() => proxy.close())
  const viaProxy = new URL(url)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  return { proxy, url: viaProxy.toString() }
}
