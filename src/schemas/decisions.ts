// decision_audit_log entries: what the monitor, the detector, the healing engine and admins
// decided, about what, why, and at whose request.
import { Type, type Static } from 'typebox'
import { cursorPage, jsonObject, nullable, timestamp, uuid } from './fields.js'
import { requestId } from './escalations.js'

export const Decision = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid()),
    decision_type: Type.String({
      description:
        'action_chosen, guard_held, approval, attempt, verification, rollback, escalation, mode_change, anomaly_detected, ...'
    }),
    component: Type.String({ description: 'The part that decided: self-healing-engine, detector, monitor' }),
    subject_type: nullable(Type.String({ description: 'What the decision is about: recovery_action, anomaly, ...' })),
    subject_id: nullable(uuid()),
    input: jsonObject(),
    decision: jsonObject(),
    outcome: nullable(Type.String()),
    reasoning: nullable(Type.String()),
    confidence_score: nullable(Type.Number({ minimum: 0, maximum: 1 })),
    actor: nullable(Type.String({ description: 'A user id, or the instance that acted' })),
    duration_ms: nullable(Type.Number({ minimum: 0 })),
    request_id: requestId(),
    created_at: timestamp()
  },
  {
    $id: 'Decision',
    examples: [
      {
        id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        decision_type: 'attempt',
        component: 'self-healing-engine',
        subject_type: 'recovery_action',
        subject_id: '0c9a8b7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
        input: { attempt: 1, max_attempts: 3, dry_run: false },
        decision: { success: true, simulated: false, error_code: null, retryable: false },
        outcome: 'succeeded',
        reasoning: 'restart_function delivered to the control endpoint of orchestrate-flow, which answered HTTP 200',
        confidence_score: null,
        actor: 'host-1:4211:9f3a2b1c',
        duration_ms: 84,
        request_id: '3d1f6b0e-2c4a-4e8b-9f7d-5a6c8e0b1d23',
        created_at: '2026-11-28T06:02:41.000Z'
      }
    ]
  }
)

export const DecisionList = cursorPage(Decision, 'DecisionList')

export type DecisionView = Static<typeof Decision>
