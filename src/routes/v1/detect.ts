// POST /v1/anomalies/detect: runs the detector now, for a service or an admin, with the app's one
// root-cause analyzer. `at` backtests: it must lie in the past, since the future has no events.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { DetectionRequest, DetectionRun } from '../../schemas/detection.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { InvalidFields } from '../../errors.js'
import { runDetection } from '../../services/detection/detector.js'
import { analyzerFor } from '../../services/detection/shared-analyzer.js'
import { callerOf } from '../caller.js'

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/anomalies/detect',
    {
      config: { allow: ['service', 'admin'] },
      schema: {
        operationId: 'detectAnomalies',
        tags: ['anomalies'],
        summary: 'Run the anomaly detector now',
        description:
          "Judges every component's recent health events (or one component's) against robust baselines from the 24 hours before the window, the seed's rules and the adaptive score; opens, updates and auto-resolves signals, links overlapping ones, and analyses the new ones (LLM within the time budget, else rule-based). With `at`, evaluates as if it were then, reading only events up to `at`.",
        body: ref(DetectionRequest),
        response: {
          200: ref(DetectionRun, 'What the run did, with the signals it created, updated or resolved'),
          ...problems(400, 401, 403, 429)
        }
      }
    },
    async request => {
      const { window_minutes: windowMinutes, component_name: componentName, analyze, at } = request.body
      if (at !== undefined && Date.parse(at) > Date.now())
        throw new InvalidFields([{ path: '/body/at', message: 'must not be in the future' }])
      const caller = callerOf(request)
      return await runDetection(
        { db: app.db, analyzer: analyzerFor(config), settings: config.detection },
        { windowMinutes, componentName, analyze, at, actor: caller.userId ?? caller.kind }
      )
    }
  )
}

export default routes
