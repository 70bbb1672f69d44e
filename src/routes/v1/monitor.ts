// /v1/monitor/run: run the health monitor now, the same function the monitor job runs on its
// schedule. For Core314 services and admins; the run itself writes as the service role. The
// window is on execution_log.created_at, the time each call was logged: that table's event time.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { MonitorRunInput, MonitorRunResult } from '../../schemas/monitor.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { checkEventTimes } from '../../services/event-time.js'
import { runMonitor, triggeredBy } from '../../services/monitor/run.js'
import { callerOf } from '../caller.js'

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/monitor/run',
    {
      config: { allow: ['service', 'admin'], optionalBody: true },
      schema: {
        operationId: 'runMonitor',
        tags: ['monitor'],
        summary: 'Run the health monitor now',
        description:
          "Measures every function and integration in execution_log over the window (percentiles, throughput, error rate, availability), samples the service's PostgreSQL (connections, deadlocks, cache hit rate, slow queries), takes the submitted `metrics` (their `measurement_window_end` within the event-time bounds of POST /v1/health-events), classifies each component, stores one health event per component and records the run in decision_audit_log. `thresholds` overrides the default limits for this run.",
        body: ref(MonitorRunInput),
        response: {
          200: ref(MonitorRunResult, "The overall status, each component's status and why, and the events stored"),
          ...problems(400, 401, 403, 429)
        }
      }
    },
    async request => {
      checkEventTimes(
        request.body.metrics ?? [],
        config.eventTime,
        Date.now(),
        index => `/body/metrics/${index}/measurement_window_end`
      )
      return await runMonitor(app.db, triggeredBy(callerOf(request)), request.body)
    }
  )
}

export default routes
