// POST /otlp/v1/metrics: OTLP/HTTP, so an exporter's endpoint is `<service>/otlp`. Protobuf
// (the SDKs' default) and JSON, either gzip-compressed; the answer is in the request's encoding.
// Load is shed before it reaches the database: past OTLP_MAX_IN_FLIGHT exports at once the
// answer is 503 with Retry-After, which OTLP exporters honour by retrying later; the rate
// limiter's 429 carries Retry-After too.
import { createGunzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Counter } from 'prom-client'
import type { Config } from '../../config.js'
import { problems } from '../../schemas/problem.js'
import { ingestMetrics } from '../../services/otlp/ingest.js'
import { CumulativeStreams, type ExportRequestObject } from '../../services/otlp/map-metrics.js'
import { ExportRequest, ExportResponse, PLAIN } from '../../services/otlp/proto.js'
import { errors } from '../../errors.js'
import { callerOf } from '../caller.js'
import { actingFor } from '../organization.js'

const PROTOBUF = 'application/x-protobuf'
const EXPORT_RESPONSE_JSON = {
  description: 'ExportMetricsServiceResponse (protobuf for a protobuf request, else JSON)',
  type: 'object',
  properties: {
    partialSuccess: {
      type: 'object',
      properties: { rejectedDataPoints: { type: 'integer' }, errorMessage: { type: 'string' } }
    }
  }
}

function badPayload(message: string): Error {
  return new errors.InvalidOtlpBody(`the body is not an OTLP ExportMetricsServiceRequest: ${message}`)
}

function decodeJson(body: unknown): ExportRequestObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badPayload('expected a JSON object')
  try {
    return ExportRequest.toObject(
      ExportRequest.fromObject(body as Record<string, unknown>),
      PLAIN
    ) as ExportRequestObject
  } catch (error) {
    throw badPayload(error instanceof Error ? error.message : String(error))
  }
}

function wantsProtobuf(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith(PROTOBUF)
}

const routes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const { otlpMaxBodyBytes, otlpMaxInFlight } = config.integrations
  const streams = new CumulativeStreams()
  const points = new Counter({
    name: 'otlp_data_points_total',
    help: 'OTLP metric data points received, by outcome: accepted (mapped), rejected (malformed), ignored (metrics not mapped)',
    labelNames: ['outcome'],
    registers: [app.metrics.registry]
  })
  let inFlight = 0

  // Decompressed before parsing, and the body limit applies to the decompressed bytes too, so a
  // small gzip bomb is refused with 413 instead of filling memory.
  app.addHook('preParsing', async (request, reply, payload) => {
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase()
    if (encoding === 'identity') return payload
    if (encoding !== 'gzip') {
      // RFC 9110 §15.5.16: a 415 for a content coding names the codings accepted.
      void reply.header('accept-encoding', 'gzip')
      throw new errors.UnsupportedEncoding(`Content-Encoding ${encoding} is not supported (gzip or none)`)
    }
    const gunzip = createGunzip()
    const inflated = Object.assign(gunzip, { receivedEncodedLength: 0 })
    payload.on('data', (chunk: Buffer) => {
      inflated.receivedEncodedLength += chunk.length
    })
    gunzip.on('error', (error: Error & { statusCode?: number }) => {
      error.statusCode = 400
      error.message = `the body is not valid gzip: ${error.message}`
    })
    return payload.pipe(inflated)
  })

  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer', bodyLimit: otlpMaxBodyBytes }, (_request, body, done) => {
    try {
      done(null, ExportRequest.toObject(ExportRequest.decode(body as Buffer), PLAIN))
    } catch (error) {
      done(
        badPayload(error instanceof Error ? error.message : String(error)) as Error & { statusCode: number },
        undefined
      )
    }
  })

  app.post(
    '/v1/metrics',
    {
      bodyLimit: otlpMaxBodyBytes,
      config: {
        allow: ['ingest', 'service'],
        // Parsed here (protobuf or JSON), not by a body schema: described for the document only.
        documented: {
          body: {
            description:
              'An ExportMetricsServiceRequest (opentelemetry.proto.collector.metrics.v1), optionally gzip-compressed (Content-Encoding: gzip)',
            content: {
              [PROTOBUF]: {
                schema: {
                  description: 'The binary protobuf encoding of ExportMetricsServiceRequest',
                  contentMediaType: PROTOBUF
                }
              },
              'application/json': {
                schema: {
                  type: 'object',
                  description: 'The OTLP/JSON encoding of ExportMetricsServiceRequest (lowerCamelCase field names)',
                  properties: { resourceMetrics: { type: 'array', items: { type: 'object' } } }
                }
              }
            }
          },
          response: {
            200: {
              description: "ExportMetricsServiceResponse, in the request's encoding",
              content: {
                [PROTOBUF]: {
                  schema: {
                    description: 'The binary protobuf encoding of ExportMetricsServiceResponse',
                    contentMediaType: PROTOBUF
                  }
                },
                'application/json': { schema: EXPORT_RESPONSE_JSON }
              }
            },
            415: {
              ...problems(415)[415],
              headers: {
                'Accept-Encoding': {
                  type: 'string',
                  description: 'The content codings accepted (gzip), when the Content-Encoding was refused'
                }
              }
            }
          }
        }
      },
      schema: {
        tags: ['integrations'],
        operationId: 'exportOtlpMetrics',
        summary: 'OTLP/HTTP metrics export',
        description:
          'OpenTelemetry metrics (ExportMetricsServiceRequest) as `application/x-protobuf` or `application/json`, optionally ' +
          '`Content-Encoding: gzip`, with `Authorization: Bearer <ingest key>`. Mapped by the semantic conventions into one health event per ' +
          `resource per export (docs/integrations.md). At most ${otlpMaxBodyBytes} bytes after decompression (413 above). ` +
          "The answer is an ExportMetricsServiceResponse in the request's encoding, with partial_success when points were refused or ignored.",
        querystring: {
          type: 'object',
          properties: {
            organization_id: {
              type: 'string',
              format: 'uuid',
              description: 'For a service token: the organization the metrics belong to'
            }
          },
          additionalProperties: false
        },
        response: {
          200: EXPORT_RESPONSE_JSON,
          ...problems(400, 401, 403, 413, 415, 429),
          503: {
            ...problems(503)[503],
            description: `More than OTLP_MAX_IN_FLIGHT (${otlpMaxInFlight}) exports are being stored, or the database did not answer within the request deadline, or is unreachable; retry after Retry-After`
          }
        }
      }
    },
    async (request, reply) => {
      if (inFlight >= otlpMaxInFlight)
        throw new errors.OtlpBusy(
          `more than ${otlpMaxInFlight} OTLP exports are being stored; retry after the Retry-After delay`
        )
      inFlight++
      try {
        const { caller, organizationId } = actingFor(
          callerOf(request),
          (request.query as { organization_id?: string }).organization_id
        )
        const protobuf = wantsProtobuf(request)
        const body = protobuf ? (request.body as ExportRequestObject) : decodeJson(request.body)
        const outcome = await ingestMetrics(app.db, caller, organizationId, body, streams, config.eventTime)
        points.inc({ outcome: 'accepted' }, outcome.accepted)
        points.inc({ outcome: 'rejected' }, outcome.rejected)
        points.inc({ outcome: 'ignored' }, outcome.ignored)
        const response =
          outcome.rejected === 0 && outcome.message === ''
            ? {}
            : { partialSuccess: { rejectedDataPoints: outcome.rejected, errorMessage: outcome.message } }
        if (protobuf)
          return await reply
            .type(PROTOBUF)
            .send(Buffer.from(ExportResponse.encode(ExportResponse.fromObject(response)).finish()))
        return response
      } finally {
        inFlight--
      }
    }
  )
}

export default routes
