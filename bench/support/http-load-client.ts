// The forked side of http-load.ts: sends the bodies it is given at the given concurrency over
// keep-alive connections, times each request, and reports back once. HTTP/1.1 is spoken over
// plain sockets, one write per request and a Content-Length response read back whole, as
// load generators such as wrk do: on a machine the service shares, a general-purpose client
// would take CPU from the service it measures.
import { connect, type Socket } from 'node:net'
import type { LoadRequest, LoadResult } from './http-load.js'

const HEAD_END = Buffer.from('\r\n\r\n')

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private received: Buffer = Buffer.alloc(0)
  private waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk)
    })
    socket.on('error', error => {
      this.fail(error)
    })
    socket.on('close', () => {
      this.fail(new Error('the server closed the connection'))
    })
  }

  static async open(url: URL): Promise<Connection> {
    return await new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        resolve(new Connection(socket))
      })
      socket.setNoDelay(true)
      socket.once('error', reject)
    })
  }

  async send(request: Buffer): Promise<number> {
    return await new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.socket.write(request)
    })
  }

  close(): void {
    this.socket.removeAllListeners('close')
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk])
    const headEnd = this.received.indexOf(HEAD_END)
    if (headEnd < 0) return
    const head = this.received.subarray(0, headEnd).toString('latin1')
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (length === null)
      return this.fail(new Error(`a response without Content-Length: ${head.split('\r\n')[0] ?? ''}`))
    const total = headEnd + HEAD_END.length + Number(length[1])
    if (this.received.length < total) return
    if (this.received.length > total)
      return this.fail(new Error('bytes after the response to the one request in flight'))
    this.received = Buffer.alloc(0)
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.resolve(Number(head.slice(9, 12)))
  }

  private fail(error: Error): void {
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.reject(error)
  }
}

function encode(request: LoadRequest, url: URL, body: string): Buffer {
  const headers = Object.entries({
    ...request.headers,
    host: url.host,
    'content-length': String(Buffer.byteLength(body))
  })
  return Buffer.from(
    `${request.method} ${request.path} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`
  )
}

async function load(request: LoadRequest): Promise<LoadResult> {
  const url = new URL(request.address)
  const connections = await Promise.all(
    Array.from({ length: request.concurrency }, async () => await Connection.open(url))
  )
  const encoded = request.bodies.map(body => encode(request, url, body))
  const latencies: number[] = []
  let next = 0
  try {
    const started = performance.now()
    await Promise.all(
      connections.map(async connection => {
        while (next < encoded.length) {
          const bytes = encoded[next++] as Buffer
          const t0 = performance.now()
          const status = await connection.send(bytes)
          latencies.push(performance.now() - t0)
          if (status !== request.expect)
            throw new Error(`${request.path} answered ${status}, expected ${request.expect}`)
        }
      })
    )
    return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) }
  } finally {
    for (const connection of connections) connection.close()
  }
}

process.once('message', (request: LoadRequest) => {
  load(request).then(
    result => process.send?.({ result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ error: String(error) }, () => process.exit(1))
  )
})
