// /v1/selftests: self-test results stored by services and the runner, read under RLS with the
// seed's reports, compared with their baseline, and pruned by admins; the registered tests'
// catalogue, and running them now.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Selftest, SelftestInput, SelftestList, SELFTEST_EXECUTION_STATUSES } from '../../schemas/selftests.js'
import { BaselineComparison, SelftestDeletion, SelftestStatistics, SelftestTrend } from '../../schemas/selftest-reports.js'
import { ALL_CALLERS, IdempotencyHeaders, IdParams, paginationQuery } from '../../schemas/common.js'
import { name, timestamp, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  compareSelftestWithBaseline, deleteSelftestResultsBefore, getSelftestResult, listLatestSelftestResults, pageSelftestResults,
  recordSelftestResult, summariseSelftests, trendSelftests
} from '../../services/selftest-results.js'
import { callerOf } from '../caller.js'
import { emptyBodyAsObject, periodOf } from '../defaults.js'
import { idempotencyOf } from '../idempotency.js'
import type { Config } from '../../config.js'
import { SelftestCatalogEntry, SelftestRunInput, SelftestRunResult } from '../../schemas/selftest-runs.js'
import { selftestCatalog } from '../../services/selftests/catalog.js'
import { runSelftests } from '../../services/selftests/runner.js'
import { callerTrigger } from '../../services/selftests/trigger.js'

const tags = ['self-tests']

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post('/selftests/run', {
    config: { allow: ['service', 'admin'] },
    schema: {
      tags,
      summary: 'Run self-tests now',
      description: 'Runs the named registered self-tests (all of them without `test_names`), each within its timeout, one after another; stores a full result per test (compared with its baseline; a failure or regression raises an anomaly signal) and returns them.',
      body: ref(SelftestRunInput),
      response: { 200: ref(SelftestRunResult, 'The stored results'), ...problems(400, 401, 403, 429) }
    },
    preValidation: emptyBodyAsObject
  }, async (request) => ({
    results: await runSelftests(
      { db: app.db, config, inject: async (injected) => await app.inject(injected), log: request.log },
      { testNames: request.body.test_names, trigger: callerTrigger(callerOf(request)) }
    )
  }))

  app.get('/selftests/catalog', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'The registered self-tests, their schedules and latest results',
      response: { 200: Type.Array(ref(SelftestCatalogEntry), { description: 'One entry per registered test' }), ...problems(401, 429) }
    }
  }, async (request) => await selftestCatalog(app.db, callerOf(request), config))

  app.post('/selftests', {
    config: { allow: ['service'] },
    schema: {
      tags,
      summary: 'Store one self-test result',
      headers: IdempotencyHeaders,
      body: ref(SelftestInput),
      response: { 201: ref(Selftest, 'The stored result'), ...problems(400, 401, 403, 422, 429) }
    }
  }, async (request, reply) => {
    const result = await recordSelftestResult(app.db, callerOf(request), request.body, idempotencyOf(request))
    return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
  })

  app.get('/selftests', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'List self-test results, newest first',
      querystring: Type.Object({
        ...paginationQuery,
        test_name: Type.Optional(name(200)),
        test_category: Type.Optional(name(100)),
        execution_status: Type.Optional(Type.Enum(SELFTEST_EXECUTION_STATUSES)),
        regression_detected: Type.Optional(Type.Boolean())
      }, { additionalProperties: false }),
      response: { 200: ref(SelftestList, 'A page of results'), ...problems(400, 401, 429) }
    }
  }, async (request) => {
    const { limit, cursor, ...filters } = request.query
    return await pageSelftestResults(app.db, callerOf(request), filters, cursor, limit)
  })

  app.get('/selftests/latest', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'The latest result of each test (get_latest_selftest_results)',
      querystring: Type.Object({
        test_category: Type.Optional(name(100)),
        component_name: Type.Optional(name(200)),
        organization_id: Type.Optional(uuid())
      }, { additionalProperties: false }),
      response: { 200: Type.Array(ref(Selftest), { description: 'One result per test' }), ...problems(400, 401, 429) }
    }
  }, async (request) => await listLatestSelftestResults(app.db, callerOf(request), request.query.test_category, request.query.component_name, request.query.organization_id))

  app.get('/selftests/statistics', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'Pass rates and durations per test (get_selftest_statistics)',
      querystring: Type.Object({
        since: Type.Optional(timestamp({ description: 'Default: 24 hours ago' })),
        until: Type.Optional(timestamp({ description: 'Default: now' })),
        test_category: Type.Optional(name(100)),
        organization_id: Type.Optional(uuid())
      }, { additionalProperties: false }),
      response: { 200: Type.Array(ref(SelftestStatistics), { description: 'One entry per test' }), ...problems(400, 401, 429) }
    }
  }, async (request) => {
    const { since, until } = periodOf(request.query)
    const { test_category: category, organization_id: organization } = request.query
    return await summariseSelftests(app.db, callerOf(request), since, until, category, organization)
  })

  app.get('/selftests/trends', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'Self-test outcomes per time bucket (get_selftest_trends)',
      querystring: Type.Object({
        test_name: Type.Optional(name(200)),
        since: Type.Optional(timestamp({ description: 'Default: 7 days ago' })),
        until: Type.Optional(timestamp({ description: 'Default: now' })),
        bucket: Type.String({ pattern: '^[1-9][0-9]{0,3} (minute|minutes|hour|hours|day|days)$', default: '1 day' }),
        organization_id: Type.Optional(uuid())
      }, { additionalProperties: false }),
      response: { 200: Type.Array(ref(SelftestTrend), { description: 'Oldest bucket first' }), ...problems(400, 401, 429) }
    }
  }, async (request) => {
    const { since, until } = periodOf(request.query, 7)
    const { bucket, test_name: testName, organization_id: organization } = request.query
    return await trendSelftests(app.db, callerOf(request), since, until, bucket, testName, organization)
  })

  app.get('/selftests/:id', {
    config: { allow: [...ALL_CALLERS] },
    schema: { tags, summary: 'One self-test result', params: IdParams, response: { 200: ref(Selftest, 'The result'), ...problems(400, 401, 404, 429) } }
  }, async (request) => await getSelftestResult(app.db, callerOf(request), request.params.id))

  app.get('/selftests/:id/baseline-comparison', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'This result against its baseline (compare_with_baseline)',
      description: 'The baseline is the pinned baseline_test_id, or else the median of the test\'s last successful runs.',
      params: IdParams,
      querystring: Type.Object({
        baseline_runs: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
        threshold_percentage: Type.Number({ minimum: 0, maximum: 1000, default: 20, description: 'Slower by more than this is a regression, faster by more an improvement' })
      }, { additionalProperties: false }),
      response: { 200: ref(BaselineComparison, 'The comparison'), ...problems(400, 401, 404, 429) }
    }
  }, async (request) => await compareSelftestWithBaseline(app.db, callerOf(request), request.params.id, request.query.baseline_runs, request.query.threshold_percentage))

  app.delete('/selftests', {
    config: { allow: ['admin'] },
    schema: {
      tags,
      summary: 'Delete results older than a time',
      querystring: Type.Object({ older_than: timestamp({ description: 'Results created before this are deleted' }) }, { additionalProperties: false }),
      response: { 200: ref(SelftestDeletion, 'How many were deleted'), ...problems(400, 401, 403, 429) }
    }
  }, async (request) => ({ deleted: await deleteSelftestResultsBefore(app.db, callerOf(request), request.query.older_than) }))
}

export default routes
