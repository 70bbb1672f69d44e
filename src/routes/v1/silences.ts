// /v1/silences and /v1/deployments: an organization's silences and recurring maintenance
// windows, shaped like Alertmanager's, and the deploy markers that open a short window each.
// Members read them; admins and the service role (naming the organization) create, change and
// expire them. DELETE expires, as Alertmanager's does: the silence is kept.
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { ALL_CALLERS, IdempotencyHeaders, idParams, paginationQuery } from '../../schemas/common.js'
import { name, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  Deployment,
  DeploymentInput,
  DeploymentList,
  Silence,
  SilenceInput,
  SilenceList,
  SilenceUpdate,
  SILENCE_STATES
} from '../../schemas/silences.js'
import { pageOrganizationDeployments, recordDeployment } from '../../services/silences/deployments.js'
import {
  changeSilence,
  createSilence,
  expireOrganizationSilence,
  getSilence,
  pageOrganizationSilences,
  type SilenceActor
} from '../../services/silences/silences.js'
import { callerOf } from '../caller.js'
import { idempotencyOf } from '../idempotency.js'
import { actingForOrganization } from '../organization.js'

const tags = ['silences']
const MANAGERS = { allow: ['admin', 'service'] as Array<'admin' | 'service'> }
const organizationId = Type.Optional(uuid({ description: 'For the service role: whose silences' }))
const OrganizationQuery = Type.Object({ organization_id: organizationId }, { additionalProperties: false })
const MATCHER_FILTER = '^[A-Za-z_:][A-Za-z0-9_:]{0,105}=.{0,256}$'

function silenceActor(request: FastifyRequest, named: string | undefined, field: string): SilenceActor {
  const identity = callerOf(request)
  const { caller, organizationId } = actingForOrganization(identity, named, field)
  return { caller, organizationId, userId: identity.userId }
}

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/silences',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'createSilence',
        summary: 'Silence matching signals for a while, or in recurring maintenance windows',
        description:
          'Signals it matches are still recorded, marked with the silence, but the healing engine decides nothing automatic for them and escalates nothing until it ends. Regex values are RE2, the syntax of Alertmanager matchers, run in linear time and anchored at both ends. An organization has at most 1,000 silences pending or in force (deploy windows included): 409 SILENCE_LIMIT_REACHED beyond. See docs/silences.md.',
        headers: IdempotencyHeaders,
        body: ref(SilenceInput),
        response: { 201: ref(Silence, 'The silence'), ...problems(400, 401, 403, 409, 422, 429) }
      }
    },
    async (request, reply) => {
      const actor = silenceActor(request, request.body.organization_id, '/body/organization_id')
      const result = await createSilence(app.db, actor, request.body, idempotencyOf(request))
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/silences',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listSilences',
        summary: "List the organization's silences, newest first",
        description:
          "Members read their organization's silences; the service role names the organization. state filters by where now falls against starts_at and ends_at: pending, active or expired (a recurring silence holds signals only inside its windows). Cursor-paged like every list.",
        querystring: Type.Object(
          {
            ...paginationQuery,
            organization_id: organizationId,
            state: Type.Optional(
              Type.Enum(SILENCE_STATES, {
                description:
                  'Only silences where now falls so against starts_at and ends_at: pending (before), active (between) or expired (after)'
              })
            ),
            matcher: Type.Optional(
              Type.String({
                pattern: MATCHER_FILTER,
                description: 'name=value: silences with exactly that matcher',
                examples: ['severity=critical']
              })
            ),
            component_name: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'Silences with a component_name matcher equal to it'
              })
            )
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(SilenceList, 'A page of silences'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => {
      const { limit, cursor, state, matcher, component_name: component } = request.query
      const actor = silenceActor(request, request.query.organization_id, '/querystring/organization_id')
      const [name = '', ...value] = (matcher ?? '').split('=')
      const filter =
        component !== undefined
          ? { name: 'component_name', value: component }
          : matcher === undefined
            ? undefined
            : { name, value: value.join('=') }
      return await pageOrganizationSilences(app.db, actor, { state, matcher: filter }, cursor, limit)
    }
  )

  app.get(
    '/silences/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getSilence',
        summary: 'One silence',
        description:
          "A silence of the caller's organization, with its matchers, window or recurrence, who created it and why, and its state now. Another organization's silence is 404.",
        params: idParams('the silence'),
        querystring: OrganizationQuery,
        response: { 200: ref(Silence, 'The silence'), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async request =>
      await getSilence(
        app.db,
        silenceActor(request, request.query.organization_id, '/querystring/organization_id'),
        request.params.id
      )
  )

  app.patch(
    '/silences/:id',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'updateSilence',
        summary: "Change a silence's end or comment",
        description:
          'Only a silence that has not ended; its matchers and recurrence stay (create a new one to change them). Signals it holds are looked at again at the next heal tick.',
        params: idParams('the silence'),
        querystring: OrganizationQuery,
        body: ref(SilenceUpdate),
        response: { 200: ref(Silence, 'The changed silence'), ...problems(400, 401, 403, 404, 409, 429) }
      }
    },
    async request =>
      await changeSilence(
        app.db,
        silenceActor(request, request.query.organization_id, '/querystring/organization_id'),
        request.params.id,
        request.body
      )
  )

  app.delete(
    '/silences/:id',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'expireSilence',
        summary: 'Expire a silence now',
        description:
          "As Alertmanager's DELETE: an active silence ends now, a pending one never starts; it is kept (state expired). The signals it held are handled as new at the next heal tick: acted on, or escalated. An ended silence is 409.",
        params: idParams('the silence'),
        querystring: OrganizationQuery,
        response: { 200: ref(Silence, 'The expired silence'), ...problems(400, 401, 403, 404, 409, 429) }
      }
    },
    async request =>
      await expireOrganizationSilence(
        app.db,
        silenceActor(request, request.query.organization_id, '/querystring/organization_id'),
        request.params.id
      )
  )

  app.post(
    '/deployments',
    {
      config: MANAGERS,
      schema: {
        tags: ['deployments'],
        operationId: 'createDeployment',
        summary: 'Mark a deploy of a component',
        description:
          "Kept as an event of the component (analysis cites it; rollback_deployment returns to the version before it when not told one) and opens a maintenance window for the component of DEPLOY_WINDOW_MINUTES: a silence matching its component_name (and environment, when given, or none on the signal). The window counts toward the organization's 1,000 silences (409 SILENCE_LIMIT_REACHED beyond). The service role names the organization; who deployed is the token's subject.",
        headers: IdempotencyHeaders,
        body: ref(DeploymentInput),
        response: { 201: ref(Deployment, 'The deploy marker'), ...problems(400, 401, 403, 409, 422, 429) }
      }
    },
    async (request, reply) => {
      const actor = silenceActor(request, request.body.organization_id, '/body/organization_id')
      const result = await recordDeployment(
        app.db,
        actor,
        request.body,
        config.healing.deployWindowMs,
        idempotencyOf(request)
      )
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/deployments',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags: ['deployments'],
        operationId: 'listDeployments',
        summary: "List the organization's deploy markers, newest first",
        description:
          'Each marker names the component, its version and the version before it, and the maintenance window it opened (DEPLOY_WINDOW_MINUTES). The analysis cites the latest one before a signal; rollback_deployment returns to its previous version.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            organization_id: Type.Optional(uuid({ description: 'For the service role: whose deployments' })),
            component_name: Type.Optional(name(200, { description: 'Only markers of the component of this name' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(DeploymentList, 'A page of deploy markers'), ...problems(400, 401, 403, 429) }
      }
    },
    async request => {
      const { limit, cursor, component_name: component } = request.query
      const actor = silenceActor(request, request.query.organization_id, '/querystring/organization_id')
      return await pageOrganizationDeployments(app.db, actor, component, cursor, limit)
    }
  )
}

export default routes
