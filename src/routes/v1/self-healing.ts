// /v1/self-healing: the kill switch (read by all, changed by admins, audited) and a healing
// run on demand, the same work the heal job does for open anomalies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ALL_CALLERS } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { HealingMode, HealingModeInput, SelfHealingRunInput, SelfHealingRunResult } from '../../schemas/self-healing.js'
import type { HealingEngine } from '../../services/healing/engine.js'
import { getHealingMode, setHealingMode } from '../../services/healing/mode.js'
import { callerOf } from '../caller.js'

const tags = ['self-healing']

const routes: FastifyPluginAsyncTypebox<{ healing: HealingEngine }> = async (app, { healing }) => {
  app.get(
    '/self-healing/mode',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getHealingMode',
        tags,
        summary: 'The self-healing mode (the kill switch)',
        description: 'Every caller. auto, dry_run or off, with who set it, when and why.',
        response: { 200: ref(HealingMode, 'The mode'), ...problems(401, 429) }
      }
    },
    async request => await getHealingMode(app.db, callerOf(request))
  )

  app.put(
    '/self-healing/mode',
    {
      config: { allow: ['admin'] },
      schema: {
        operationId: 'setHealingMode',
        tags,
        summary: 'Switch automatic healing: auto, dry_run or off',
        description:
          'Admins only; recorded in decision_audit_log. off: no automatic action is taken (new anomalies are escalated, queued automatic actions wait); dry_run: automatic actions are simulated. Actions asked for explicitly are not affected.',
        body: ref(HealingModeInput),
        response: { 200: ref(HealingMode, 'The new mode'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => await setHealingMode(app.db, callerOf(request), request.body.mode, request.body.reason ?? null)
  )

  app.post(
    '/self-healing/run',
    {
      config: { allow: ['service', 'admin'], optionalBody: true },
      schema: {
        operationId: 'runSelfHealing',
        tags,
        summary: 'Map open anomalies to recovery actions and run them now',
        description:
          'Open anomalies without an automatic action (or the one named) are mapped, guarded and stored; those that need no approval run at once. An anomaly no action can be planned or stored for is listed under skipped, and the others are still decided. With dry_run, nothing is stored or sent: the decisions come back with what each executor would do.',
        body: ref(SelfHealingRunInput),
        response: { 200: ref(SelfHealingRunResult, 'What was decided and attempted'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => await healing.run({ anomalyId: request.body.anomaly_id, dryRun: request.body.dry_run })
  )
}

export default routes
