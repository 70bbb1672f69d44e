// Healing dry run: synthetic anomalies, one per entry of the seed's action table (section 2.3)
// and one it does not name, mapped by the engine's own chooseAction under the configured policy
// and dry-run by the executor that would act, against a synthetic target. Each must map to the
// expected action (the seed's, unless HEAL_ACTION_MAP says otherwise; the default for the
// rest), have an executor, and come back simulated: nothing is sent, stored or escalated.
import { randomUUID } from 'node:crypto'
import { SERVICE_CALLER } from '../../../db/caller.js'
import type { Severity } from '../../analysis/index.js'
import { escalationChannels } from '../../healing/channels.js'
import { getExecutor } from '../../healing/executors/registry.js'
import { chooseAction } from '../../healing/mapping.js'
import { targetPolicy } from '../../../lib/address-policy.js'
import { reason } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

const COMPONENT = 'selftest:healing_canary'
const DRY_RUN_TIMEOUT_MS = 5000

// The seed's table as the seed states it, kept here rather than imported so a change to the
// engine's copy shows up as a failure instead of moving the expectation with it.
const SEED_TABLE: ReadonlyArray<[string, Severity, string]> = [
  ['latency_spike', 'critical', 'restart_function'],
  ['latency_spike', 'high', 'clear_cache'],
  ['error_rate_increase', 'critical', 'rollback_deployment'],
  ['error_rate_increase', 'high', 'circuit_breaker'],
  ['resource_exhaustion', 'critical', 'scale_up'],
  ['resource_exhaustion', 'high', 'clear_cache'],
  ['selftest_canary_unmapped', 'low', '']
]

// Every kind of control target, on addresses nothing listens at: a dry run must not reach them.
const TARGET = {
  component_name: COMPONENT,
  component_type: 'selftest_canary',
  webhook_url: 'http://127.0.0.1:9/selftest-canary',
  webhook_secret: 'whsec_c2VsZnRlc3QtY2FuYXJ5LXNlY3JldC1uZXZlci1zZW50',
  redis_url: 'redis://127.0.0.1:9',
  key_prefix: 'selftest-canary:',
  database_url: 'postgres://selftest@127.0.0.1:9/canary',
  application_name: 'selftest-canary'
}

export const healingDryRun: SelftestDefinition = {
  name: 'healing_dry_run',
  category: 'healing',
  type: 'dry_run',
  description:
    "Synthetic anomalies for each entry of the seed's action table and one it does not name go through the engine's mapping under the configured policy and a dry run of the chosen executor: the expected action, an executor for it, a simulated result, and no recovery action stored.",
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 30,
  failureSeverity: 'high',
  target: { componentType: 'healing_engine', componentName: 'self_healing_engine' },
  parameters: config => ({
    action_map_overrides: config.healing.actionMap,
    default_action: config.healing.defaultAction
  }),
  run: async ({ db, config, assert, signal }) => {
    const policy = config.healing
    for (const [anomalyType, severity, seedAction] of SEED_TABLE) {
      signal.throwIfAborted()
      const key = `${anomalyType}:${severity}`
      const expected = policy.actionMap[key] ?? (seedAction === '' ? policy.defaultAction : seedAction)
      const anomaly = {
        id: randomUUID(),
        anomaly_type: anomalyType,
        severity,
        anomaly_summary: `self-test canary ${key}`,
        anomaly_description: null,
        source_component_name: COMPONENT
      } as const
      const choice = chooseAction(anomaly, policy)
      const mapped = assert.check(
        `${key}_mapped`,
        choice.actionType === expected,
        {
          pass: `${key} maps to ${expected}`,
          fail: `${key} maps to ${choice.actionType} instead of ${expected}`
        },
        {
          details: { rule: choice.rule },
          recommendation:
            "The anomaly-to-action mapping changed: check HEAL_ACTION_MAP and the engine's table against the seed"
        }
      )
      if (!mapped) continue
      const executor = getExecutor(choice.actionType)
      if (executor === undefined) {
        assert.fail(`${key}_dry_run`, `no executor runs ${choice.actionType}`, {
          recommendation: `Register an executor for ${choice.actionType} or map ${key} to one that exists`
        })
        continue
      }
      try {
        const { value: result } = await assert.probe(
          async () =>
            await executor.execute({
              actionId: randomUUID(),
              actionType: choice.actionType,
              organizationId: null,
              componentName: COMPONENT,
              parameters: choice.parameters,
              attempt: 1,
              target: TARGET,
              dryRun: true,
              signal: AbortSignal.any([signal, AbortSignal.timeout(DRY_RUN_TIMEOUT_MS)]),
              policy: targetPolicy(policy.allowedTargets),
              db,
              channels: escalationChannels(policy)
            })
        )
        assert.check(
          `${key}_dry_run`,
          result.success && result.simulated,
          {
            pass: `${choice.actionType} dry run: ${result.output}`,
            fail: `${choice.actionType} dry run ${result.simulated ? 'failed' : 'was not simulated'}: ${result.error ?? result.output}`
          },
          {
            recommendation: `The ${choice.actionType} executor's dry run is broken: automatic healing may act when it should only simulate, or not at all`
          }
        )
      } catch (error) {
        assert.fail(`${key}_dry_run`, `${choice.actionType} dry run threw: ${reason(error)}`)
      }
    }
    const [left] = await db.asCaller(
      SERVICE_CALLER,
      async tx =>
        await tx<{ n: number }[]>`
      select (select count(*) from recovery_actions where target_component_name = ${COMPONENT})
        + (select count(*) from circuit_breakers where component_name = ${COMPONENT}) as n`
    )
    assert.check('no_side_effects', Number(left?.n) === 0, {
      pass: 'no recovery action or breaker exists for the canary component',
      fail: `${String(left?.n)} rows exist for the canary component`
    })
  }
}
