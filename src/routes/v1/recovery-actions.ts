// /v1/recovery-actions: actions asked for by services and admins, read under RLS, and the
// approval workflow (approve, reject, cancel) for admins, and execute and rollback through the
// healing engine.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  ApprovalDecision,
  RecoveryAction,
  RecoveryActionInput,
  RecoveryActionList,
  approvalStatus,
  executionStatus
} from '../../schemas/recovery-actions.js'
import { RecoveryStatistics } from '../../schemas/recovery-reports.js'
import { snakeName } from '../../schemas/anomalies.js'
import { ALL_CALLERS, IdempotencyHeaders, idParams, paginationQuery } from '../../schemas/common.js'
import { name, timestamp } from '../../schemas/fields.js'
import { OrganizationFilter, OrganizationIdFilter } from '../../schemas/components.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  cancelRecoveryAction,
  decideRecoveryAction,
  getRecoveryAction,
  listPendingRecoveryActions,
  pageRecoveryActions,
  requestRecoveryAction,
  summariseRecoveryActions
} from '../../services/recovery-actions.js'
import type { Config } from '../../config.js'
import { RollbackRequest, RollbackResult } from '../../schemas/self-healing.js'
import type { HealingEngine } from '../../services/healing/engine.js'
import { callerOf } from '../caller.js'
import { periodOf } from '../defaults.js'
import { idempotencyOf } from '../idempotency.js'

const tags = ['recovery actions']
const targetComponent = Type.Optional(name(200, { description: 'Only actions on the component of this name' }))

const routes: FastifyPluginAsyncTypebox<{ config: Config; healing: HealingEngine }> = async (
  app,
  { config, healing }
) => {
  app.post(
    '/recovery-actions',
    {
      config: { allow: ['service', 'admin'] },
      schema: {
        operationId: 'createRecoveryAction',
        tags,
        summary: 'Ask for a recovery action',
        description:
          'The action type must be a registered executor and its parameters valid for it. Risky types (HEAL_APPROVAL_TYPES, by default rollback_deployment and scale_down) always wait in pending_approval, until approval_expires_at, unless this is a dry run: requires_approval: false does not waive it. The caller is recorded as triggered_by_user_id. The healing engine runs it.',
        headers: IdempotencyHeaders,
        body: ref(RecoveryActionInput),
        response: { 201: ref(RecoveryAction, 'The stored action'), ...problems(400, 401, 403, 409, 422, 429) }
      }
    },
    async (request, reply) => {
      const result = await requestRecoveryAction(
        app.db,
        callerOf(request),
        request.body,
        config.healing,
        idempotencyOf(request)
      )
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/recovery-actions',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listRecoveryActions',
        tags,
        summary: 'List recovery actions, newest first',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Filters combine; pages follow `next_cursor`.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            execution_status: Type.Optional(executionStatus({ description: 'Only actions in this execution state' })),
            action_type: Type.Optional(snakeName({ description: 'Only actions of this type, e.g. restart_function' })),
            target_component_name: Type.Optional(
              name(200, { description: 'Only actions on the component of this name' })
            ),
            organization_id: OrganizationFilter,
            approval_status: Type.Optional(approvalStatus({ description: 'Only actions in this approval state' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(RecoveryActionList, 'A page of actions'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageRecoveryActions(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/recovery-actions/pending',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listPendingRecoveryActions',
        tags,
        summary: 'Actions not finished yet, oldest first (get_pending_recovery_actions)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Actions pending, awaiting approval, approved, running or scheduled for retry, oldest first.',
        querystring: Type.Object(
          {
            component_name: targetComponent,
            organization_id: OrganizationIdFilter,
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'At most this many actions' })
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(RecoveryAction), {
            description: 'Pending, awaiting approval, approved, running or scheduled for retry'
          }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request =>
      await listPendingRecoveryActions(
        app.db,
        callerOf(request),
        request.query.component_name,
        request.query.organization_id,
        request.query.limit
      )
  )

  app.get(
    '/recovery-actions/statistics',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getRecoveryActionStatistics',
        tags,
        summary: 'Outcomes per action type: success rate, median time to recover (get_recovery_action_statistics)',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Per action type over the period: attempts, successes, failures, success rate and median time to recover.',
        querystring: Type.Object(
          {
            since: Type.Optional(timestamp({ description: 'Default: 24 hours ago' })),
            until: Type.Optional(timestamp({ description: 'Default: now' })),
            component_name: targetComponent,
            organization_id: OrganizationIdFilter
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(RecoveryStatistics), { description: 'One entry per action type' }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => {
      const { since, until } = periodOf(request.query)
      const { component_name: component, organization_id: organization } = request.query
      return await summariseRecoveryActions(app.db, callerOf(request), since, until, component, organization)
    }
  )

  app.get(
    '/recovery-actions/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getRecoveryAction',
        tags,
        summary: 'One recovery action',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. An action the caller may not see is 404.',
        params: idParams('the recovery action'),
        response: { 200: ref(RecoveryAction, 'The action'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getRecoveryAction(app.db, callerOf(request), request.params.id)
  )

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/recovery-actions/:id/${decision}`,
      {
        config: { allow: ['admin'], optionalBody: true },
        schema: {
          operationId: `${decision}RecoveryAction`,
          tags,
          summary:
            decision === 'approve' ? 'Approve an action waiting for approval' : 'Reject an action waiting for approval',
          description:
            'Admins only. approved_by and approved_at are set by the database; an action not in pending_approval, or whose approval window expired, is 409. With HEAL_FOUR_EYES (the default) the admin who requested the action (triggered_by_user_id) cannot approve it: 403.',
          params: idParams('the recovery action'),
          body: ref(ApprovalDecision),
          response: {
            200: ref(RecoveryAction, 'The action after the decision'),
            ...problems(400, 401, 403, 404, 409, 429)
          }
        }
      },
      async request =>
        await decideRecoveryAction(
          app.db,
          callerOf(request),
          request.params.id,
          decision,
          request.body.notes,
          config.healing
        )
    )
  }

  app.post(
    '/recovery-actions/:id/cancel',
    {
      config: { allow: ['admin'], optionalBody: true },
      schema: {
        operationId: 'cancelRecoveryAction',
        tags,
        summary: 'Cancel an action that has not finished',
        description: 'Admins only. A finished action (succeeded, failed, rejected, dry_run, rolled_back) is 409.',
        params: idParams('the recovery action'),
        body: ref(ApprovalDecision),
        response: { 200: ref(RecoveryAction, 'The cancelled action'), ...problems(400, 401, 403, 404, 409, 429) }
      }
    },
    async request => await cancelRecoveryAction(app.db, callerOf(request), request.params.id, request.body.notes)
  )

  app.post(
    '/recovery-actions/:id/execute',
    {
      config: { allow: ['service', 'admin'] },
      schema: {
        operationId: 'executeRecoveryAction',
        tags,
        summary: 'Execute a pending or approved action now',
        description:
          "One attempt now, under the action's lease and time limit, whatever its retry schedule; the guards do not apply to an explicit request. An action waiting for approval, running elsewhere or finished is 409.",
        params: idParams('the recovery action'),
        response: {
          200: ref(RecoveryAction, 'The action after the attempt'),
          ...problems(400, 401, 403, 404, 409, 429)
        }
      }
    },
    async request => {
      const caller = callerOf(request)
      await getRecoveryAction(app.db, caller, request.params.id)
      return await healing.execute(request.params.id, { id: caller.userId ?? 'service', userId: caller.userId })
    }
  )

  app.post(
    '/recovery-actions/:id/rollback',
    {
      config: { allow: ['service', 'admin'], optionalBody: true },
      schema: {
        operationId: 'rollbackRecoveryAction',
        tags,
        summary: 'Roll back a succeeded or failed action, creating the linked rollback action',
        description:
          "The rollback action is the inverse type where the executor names one (scale_up and scale_down), or the executor's own undo (a circuit breaker closes). It runs now unless its type waits for approval; when it succeeds the original becomes rolled_back with rollback_completed_at. An action that cannot be undone, is not finished or already has a rollback is 409.",
        params: idParams('the recovery action'),
        body: ref(RollbackRequest),
        response: {
          201: ref(RollbackResult, 'The original action and its rollback action'),
          ...problems(400, 401, 403, 404, 409, 429)
        }
      }
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await getRecoveryAction(app.db, caller, request.params.id)
      const pair = await healing.rollback(request.params.id, request.body.reason ?? 'rollback requested', {
        id: caller.userId ?? 'service',
        userId: caller.userId
      })
      return await reply.code(201).send(pair)
    }
  )
}

export default routes
