// One log line per request, written when it ends, with its method, url, status and time together
// (as pino-http writes it). Fastify's default also writes a line as each request arrives: on
// the ingest path, where single events arrive by the thousand a second, that doubles the log's
// synchronous writes for a line the closing one repeats. A request that never ends still shows
// as a connection in flight and, past its deadline, as the 503 it gets.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}
