// /v1/health/*: reports over health events through the seed's helper functions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  ComponentHealth,
  ComponentHealthPage,
  PerformanceTrend,
  SystemAvailability,
  UnhealthyComponent
} from '../../schemas/health-reports.js'
import { ALL_CALLERS, paginationQuery } from '../../schemas/common.js'
import { healthStatus, name, timestamp, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  MAX_TREND_SLOTS,
  listUnhealthyComponents,
  pageComponentHealth,
  measureAvailability,
  summariseHealth,
  trendPerformance
} from '../../services/health-reports.js'
import { callerOf } from '../caller.js'

const tags = ['health reports']
const HOUR_MS = 60 * 60 * 1000

function period(
  query: { since?: string | undefined; until?: string | undefined },
  defaultHours: number
): { since: string; until: string } {
  const until = query.until ?? new Date().toISOString()
  return { since: query.since ?? new Date(Date.parse(until) - defaultHours * HOUR_MS).toISOString(), until }
}

const bucketPattern = '^[1-9][0-9]{0,3} (minute|minutes|hour|hours|day|days)$'

const since = (hours: number) =>
  Type.Optional(
    timestamp({
      description: `Start of the period, in event time (when events were measured); default: ${hours} hours before until`
    })
  )
const until = Type.Optional(timestamp({ description: 'End of the period, in event time; default: now' }))
const organization = Type.Optional(uuid({ description: "Only this organization's events" }))
const componentType = Type.Optional(name(100, { description: 'Only components of this type' }))
const componentName = Type.Optional(name(200, { description: 'Only the events of the component of this name' }))

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/health/summary',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getHealthSummary',
        tags,
        summary: 'Per-component health over a period, worst first (get_system_health_summary)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Event counts, latency percentiles, error rate and the latest status per component over the period.',
        querystring: Type.Object(
          { since: since(1), until, component_type: componentType, organization_id: organization },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(ComponentHealth), { description: 'One entry per component' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request =>
      await summariseHealth(
        app.db,
        callerOf(request),
        period(request.query, 1),
        request.query.component_type,
        request.query.organization_id
      )
  )

  app.get(
    '/health/components',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'pageComponentHealth',
        tags,
        summary: 'Per-component health over a period, filtered and paged (for the console)',
        description:
          "Every caller; row-level security shows each caller only the rows it may see. The same rows as /health/summary, worst first, filtered by part of the component's name (any case) and latest status, one page at a time, with the count of every match; with trend_bucket, each row's trend over the period for small charts (one request for a page and its charts).",
        querystring: Type.Object(
          {
            since: since(1),
            until,
            component_type: componentType,
            organization_id: organization,
            search: Type.Optional(name(200, { description: "Part of the component's name, any case" })),
            status: Type.Optional(
              healthStatus({ description: 'Only components whose latest status in the period is this' })
            ),
            limit: paginationQuery.limit,
            offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Matches to skip' }),
            trend_bucket: Type.Optional(
              Type.String({
                pattern: bucketPattern,
                description: `With it, each row carries \`trend\`: its period in slots of this width (e.g. "30 minutes"), at most ${MAX_TREND_SLOTS}, one array per metric, for the page's rows only`
              })
            )
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(ComponentHealthPage, 'One page of components'), ...problems(400, 401, 429) }
      }
    },
    async request =>
      await pageComponentHealth(
        app.db,
        callerOf(request),
        period(request.query, 1),
        {
          componentType: request.query.component_type ?? null,
          organizationId: request.query.organization_id ?? null,
          search: request.query.search ?? null,
          status: request.query.status ?? null
        },
        { limit: request.query.limit, offset: request.query.offset, trendBucket: request.query.trend_bucket }
      )
  )

  app.get(
    '/health/unhealthy',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listUnhealthyComponents',
        tags,
        summary: 'Components whose latest status is not healthy (get_unhealthy_components)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Components whose most recent event since the start of the period is degraded, unhealthy or critical.',
        querystring: Type.Object(
          {
            since: since(1),
            organization_id: organization,
            environment: Type.Optional(name(50, { description: 'Only events reported from this environment' }))
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(UnhealthyComponent), { description: 'Worst first' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request =>
      await listUnhealthyComponents(
        app.db,
        callerOf(request),
        period(request.query, 1).since,
        request.query.organization_id,
        request.query.environment
      )
  )

  app.get(
    '/health/trends',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getPerformanceTrends',
        tags,
        summary: 'Performance per time bucket of event time (get_performance_trends)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Latency, error rate and event counts aggregated per bucket of the given width, bucketed by event time.',
        querystring: Type.Object(
          {
            component_name: componentName,
            since: since(24),
            until,
            bucket: Type.String({
              pattern: bucketPattern,
              default: '1 hour',
              description: 'Bucket width, e.g. "5 minutes", "1 hour", "1 day"'
            }),
            organization_id: organization
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(PerformanceTrend), { description: 'Oldest bucket first' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request =>
      await trendPerformance(
        app.db,
        callerOf(request),
        period(request.query, 24),
        request.query.bucket,
        request.query.component_name,
        request.query.organization_id
      )
  )

  app.get(
    '/health/availability',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getSystemAvailability',
        tags,
        summary: 'System availability over a period against a target (calculate_system_availability)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. The share of healthy events over the period and whether it meets `target_percentage`.',
        querystring: Type.Object(
          {
            since: since(24),
            until,
            component_name: componentName,
            organization_id: organization,
            target_percentage: Type.Number({
              minimum: 0,
              maximum: 100,
              default: 99.95,
              description: 'The availability, in percent, the period is measured against (`meets_target`)'
            })
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(SystemAvailability, 'Availability of the visible components'), ...problems(400, 401, 429) }
      }
    },
    async request =>
      await measureAvailability(
        app.db,
        callerOf(request),
        period(request.query, 24),
        request.query.target_percentage,
        request.query.component_name,
        request.query.organization_id
      )
  )
}

export default routes
