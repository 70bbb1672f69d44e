// /v1/anomalies: signals stored by services and the detector, read under RLS, and moved
// through their lifecycle by their owner, an admin or a service.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  Anomaly,
  AnomalyInput,
  AnomalyList,
  AnomalyStatusUpdate,
  anomalyStatus,
  severity,
  snakeName
} from '../../schemas/anomalies.js'
import { AnomalyStatistics, CorrelatedAnomaly } from '../../schemas/anomaly-reports.js'
import { ALL_CALLERS, IdempotencyHeaders, idParams, paginationQuery } from '../../schemas/common.js'
import { name, timestamp } from '../../schemas/fields.js'
import { OrganizationFilter, OrganizationIdFilter } from '../../schemas/components.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  changeAnomalyStatus,
  getAnomaly,
  listActiveAnomalies,
  listCorrelatedAnomalies,
  pageAnomalies,
  recordAnomaly,
  summariseAnomalies
} from '../../services/anomalies.js'
import { callerOf } from '../caller.js'
import { periodOf } from '../defaults.js'
import { idempotencyOf } from '../idempotency.js'

const tags = ['anomalies']
const signalComponent = Type.Optional(name(200, { description: 'Only signals of the component of this name' }))

const routes: FastifyPluginAsyncTypebox = async app => {
  app.post(
    '/anomalies',
    {
      config: { allow: ['service'] },
      schema: {
        operationId: 'createAnomaly',
        tags,
        summary: 'Store one anomaly signal',
        description:
          'For Core314 services (service role). `user_id` and `organization_id` name whom the signal belongs to; an Idempotency-Key makes a retry safe.',
        headers: IdempotencyHeaders,
        body: ref(AnomalyInput),
        response: { 201: ref(Anomaly, 'The stored signal'), ...problems(400, 401, 403, 409, 422, 429) }
      }
    },
    async (request, reply) => {
      const result = await recordAnomaly(app.db, callerOf(request), request.body, idempotencyOf(request))
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/anomalies',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listAnomalies',
        tags,
        summary: 'List anomaly signals, newest first',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Filters combine; pages follow `next_cursor`.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            status: Type.Optional(anomalyStatus({ description: 'Only signals in this status' })),
            severity: Type.Optional(severity({ description: 'Only signals of this severity' })),
            anomaly_type: Type.Optional(snakeName({ description: 'Only signals of this type, e.g. latency_spike' })),
            source_component_name: Type.Optional(
              name(200, { description: 'Only signals of the component of this name' })
            ),
            organization_id: OrganizationFilter,
            since: Type.Optional(timestamp({ description: 'Created at or after' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(AnomalyList, 'A page of signals'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageAnomalies(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/anomalies/active',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listActiveAnomalies',
        tags,
        summary: 'Unresolved signals, most severe first (get_active_anomalies)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Signals not resolved or dismissed, at or above `min_severity`.',
        querystring: Type.Object(
          {
            min_severity: severity({ default: 'low', description: 'Only signals of this severity or higher' }),
            component_name: signalComponent,
            organization_id: OrganizationIdFilter,
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'At most this many signals' })
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(Anomaly), { description: 'Open, acknowledged and investigating signals' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => await listActiveAnomalies(app.db, callerOf(request), request.query)
  )

  app.get(
    '/anomalies/statistics',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getAnomalyStatistics',
        tags,
        summary: 'Counts and rates over a period (get_anomaly_statistics)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Counts by type, severity and status, and resolution times, over the period.',
        querystring: Type.Object(
          {
            since: Type.Optional(timestamp({ description: 'Default: 24 hours ago' })),
            until: Type.Optional(timestamp({ description: 'Default: now' })),
            component_name: signalComponent,
            organization_id: OrganizationIdFilter
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(AnomalyStatistics, 'Statistics of the visible signals'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      return await summariseAnomalies(app.db, callerOf(request), { ...request.query, ...periodOf(request.query) })
    }
  )

  app.get(
    '/anomalies/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getAnomaly',
        tags,
        summary: 'One anomaly signal',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. A signal the caller may not see is 404.',
        params: idParams('the anomaly signal'),
        response: { 200: ref(Anomaly, 'The signal'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getAnomaly(app.db, callerOf(request), request.params.id)
  )

  app.get(
    '/anomalies/:id/correlated',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listCorrelatedAnomalies',
        tags,
        summary: 'Signals related to this one (find_correlated_anomalies)',
        description: "Other components' signals that overlap it in time, and those linked through related_anomaly_ids.",
        params: idParams('the anomaly signal'),
        querystring: Type.Object(
          {
            window_minutes: Type.Integer({
              minimum: 1,
              maximum: 1440,
              default: 15,
              description: "Minutes before and after the signal's active period that still count as overlapping"
            }),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'At most this many signals' })
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(CorrelatedAnomaly), { description: 'Correlated signals, closest in time first' }),
          ...problems(400, 401, 404, 429)
        }
      }
    },
    async request =>
      await listCorrelatedAnomalies(
        app.db,
        callerOf(request),
        request.params.id,
        request.query.window_minutes,
        request.query.limit
      )
  )

  app.patch(
    '/anomalies/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'updateAnomalyStatus',
        tags,
        summary: 'Acknowledge, investigate, resolve or dismiss a signal (update_anomaly_status)',
        description:
          'Its owner, an admin or a service. acknowledged_by/at, resolved_by/at and resolution_duration_minutes are set by the database. A move the lifecycle does not allow (for example acknowledging a resolved signal) is 409.',
        params: idParams('the anomaly signal'),
        body: ref(AnomalyStatusUpdate),
        response: { 200: ref(Anomaly, 'The updated signal'), ...problems(400, 401, 404, 409, 429) }
      }
    },
    async request =>
      await changeAnomalyStatus(
        app.db,
        callerOf(request),
        request.params.id,
        request.body.status,
        request.body.resolution_notes
      )
  )
}

export default routes
