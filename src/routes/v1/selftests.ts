// /v1/selftests: self-test results stored by services and the runner, read under RLS with the
// seed's reports, compared with their baseline, and pruned by admins; the registered tests'
// catalogue, and running them now.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Selftest, SelftestInput, SelftestList, SELFTEST_EXECUTION_STATUSES } from '../../schemas/selftests.js'
import {
  BaselineComparison,
  SelftestDeletion,
  SelftestStatistics,
  SelftestTrend
} from '../../schemas/selftest-reports.js'
import { ALL_CALLERS, IdempotencyHeaders, idParams, paginationQuery } from '../../schemas/common.js'
import { name, timestamp } from '../../schemas/fields.js'
import { OrganizationIdFilter } from '../../schemas/components.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  compareSelftestWithBaseline,
  deleteSelftestResultsBefore,
  getSelftestResult,
  listLatestSelftestResults,
  pageSelftestResults,
  recordSelftestResult,
  summariseSelftests,
  trendSelftests
} from '../../services/selftest-results.js'
import { callerOf } from '../caller.js'
import { periodOf } from '../defaults.js'
import { idempotencyOf } from '../idempotency.js'
import type { Config } from '../../config.js'
import { SelftestCatalogEntry, SelftestRunInput, SelftestRunResult } from '../../schemas/selftest-runs.js'
import { selftestCatalog } from '../../services/selftests/catalog.js'
import { runSelftests } from '../../services/selftests/runner.js'
import { callerTrigger } from '../../services/selftests/trigger.js'

const tags = ['self-tests']
const testName = Type.Optional(name(200, { description: 'Only results of the test of this name' }))
const testCategory = Type.Optional(name(100, { description: 'Only results of tests in this category' }))

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/selftests/run',
    {
      config: { allow: ['service', 'admin'], optionalBody: true },
      schema: {
        operationId: 'runSelftests',
        tags,
        summary: 'Run self-tests now',
        description:
          'Runs the named registered self-tests (all of them without `test_names`), each within its timeout, one after another; stores a full result per test (compared with its baseline; a failure or regression raises an anomaly signal) and returns them.',
        body: ref(SelftestRunInput),
        response: { 200: ref(SelftestRunResult, 'The stored results'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => ({
      results: await runSelftests(
        { db: app.db, config, inject: async injected => await app.inject(injected), log: request.log },
        { testNames: request.body.test_names, trigger: callerTrigger(callerOf(request)) }
      )
    })
  )

  app.get(
    '/selftests/catalog',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listSelftestCatalog',
        tags,
        summary: 'The registered self-tests, their schedules and latest results',
        description:
          'Every caller. Each registered test with its category, schedule, timeout and, where visible to the caller, its latest result.',
        response: {
          200: Type.Array(ref(SelftestCatalogEntry), { description: 'One entry per registered test' }),
          ...problems(401, 429)
        }
      }
    },
    async request => await selftestCatalog(app.db, callerOf(request), config)
  )

  app.post(
    '/selftests',
    {
      config: { allow: ['service'] },
      schema: {
        operationId: 'createSelftestResult',
        tags,
        summary: 'Store one self-test result',
        description:
          'For Core314 services (service role) that run their own tests. An Idempotency-Key makes a retry safe.',
        headers: IdempotencyHeaders,
        body: ref(SelftestInput),
        response: { 201: ref(Selftest, 'The stored result'), ...problems(400, 401, 403, 422, 429) }
      }
    },
    async (request, reply) => {
      const result = await recordSelftestResult(app.db, callerOf(request), request.body, idempotencyOf(request))
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/selftests',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listSelftestResults',
        tags,
        summary: 'List self-test results, newest first',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Filters combine; pages follow `next_cursor`.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            test_name: testName,
            test_category: testCategory,
            execution_status: Type.Optional(
              Type.Enum(SELFTEST_EXECUTION_STATUSES, { description: 'Only results in this execution state' })
            ),
            regression_detected: Type.Optional(
              Type.Boolean({ description: 'Only results that found a regression (true) or did not (false)' })
            )
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(SelftestList, 'A page of results'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageSelftestResults(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/selftests/latest',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listLatestSelftestResults',
        tags,
        summary: 'The latest result of each test (get_latest_selftest_results)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. One result per test name: its most recent.',
        querystring: Type.Object(
          {
            test_category: testCategory,
            component_name: Type.Optional(
              name(200, { description: 'Only results of tests that target the component of this name' })
            ),
            organization_id: OrganizationIdFilter
          },
          { additionalProperties: false }
        ),
        response: { 200: Type.Array(ref(Selftest), { description: 'One result per test' }), ...problems(400, 401, 429) }
      }
    },
    async request =>
      await listLatestSelftestResults(
        app.db,
        callerOf(request),
        request.query.test_category,
        request.query.component_name,
        request.query.organization_id
      )
  )

  app.get(
    '/selftests/statistics',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getSelftestStatistics',
        tags,
        summary: 'Pass rates and durations per test (get_selftest_statistics)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Per test over the period: runs, pass rate and response times.',
        querystring: Type.Object(
          {
            since: Type.Optional(timestamp({ description: 'Default: 24 hours ago' })),
            until: Type.Optional(timestamp({ description: 'Default: now' })),
            test_category: testCategory,
            organization_id: OrganizationIdFilter
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(SelftestStatistics), { description: 'One entry per test' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => {
      const { since, until } = periodOf(request.query)
      const { test_category: category, organization_id: organization } = request.query
      return await summariseSelftests(app.db, callerOf(request), since, until, category, organization)
    }
  )

  app.get(
    '/selftests/trends',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getSelftestTrends',
        tags,
        summary: 'Self-test outcomes per time bucket (get_selftest_trends)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Runs, passes and failures aggregated per bucket of the given width.',
        querystring: Type.Object(
          {
            test_name: testName,
            since: Type.Optional(timestamp({ description: 'Default: 7 days ago' })),
            until: Type.Optional(timestamp({ description: 'Default: now' })),
            bucket: Type.String({
              pattern: '^[1-9][0-9]{0,3} (minute|minutes|hour|hours|day|days)$',
              default: '1 day',
              description: 'Bucket width, e.g. "6 hours", "1 day"'
            }),
            organization_id: OrganizationIdFilter
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(SelftestTrend), { description: 'Oldest bucket first' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => {
      const { since, until } = periodOf(request.query, 7)
      const { bucket, test_name: testName, organization_id: organization } = request.query
      return await trendSelftests(app.db, callerOf(request), since, until, bucket, testName, organization)
    }
  )

  app.get(
    '/selftests/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getSelftestResult',
        tags,
        summary: 'One self-test result',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. A result the caller may not see is 404.',
        params: idParams('the self-test result'),
        response: { 200: ref(Selftest, 'The result'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getSelftestResult(app.db, callerOf(request), request.params.id)
  )

  app.get(
    '/selftests/:id/baseline-comparison',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'compareSelftestWithBaseline',
        tags,
        summary: 'This result against its baseline (compare_with_baseline)',
        description:
          "The baseline is the pinned baseline_test_id, or else the median of the test's last successful runs.",
        params: idParams('the self-test result'),
        querystring: Type.Object(
          {
            baseline_runs: Type.Integer({
              minimum: 1,
              maximum: 100,
              default: 10,
              description:
                "Without a pinned baseline: how many of the test's last successful runs the median is taken over"
            }),
            threshold_percentage: Type.Number({
              minimum: 0,
              maximum: 1000,
              default: 20,
              description: 'Slower by more than this is a regression, faster by more an improvement'
            })
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(BaselineComparison, 'The comparison'), ...problems(400, 401, 404, 429) }
      }
    },
    async request =>
      await compareSelftestWithBaseline(
        app.db,
        callerOf(request),
        request.params.id,
        request.query.baseline_runs,
        request.query.threshold_percentage
      )
  )

  app.delete(
    '/selftests',
    {
      config: { allow: ['admin'] },
      schema: {
        operationId: 'deleteSelftestResults',
        tags,
        summary: 'Delete results older than a time',
        description: 'Admins only. Deletes every result created before `older_than` and returns how many.',
        querystring: Type.Object(
          { older_than: timestamp({ description: 'Results created before this are deleted' }) },
          { additionalProperties: false }
        ),
        response: { 200: ref(SelftestDeletion, 'How many were deleted'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => ({
      deleted: await deleteSelftestResultsBefore(app.db, callerOf(request), request.query.older_than)
    })
  )
}

export default routes
