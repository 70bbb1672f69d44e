// /v1/components and /v1/executors: where recovery actions act, and what can act.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { Type } from 'typebox'
import {
  Component,
  ComponentInput,
  ComponentName,
  OrganizationQuery,
  ReportedComponentName
} from '../../schemas/components.js'
import { ExecutorDescription } from '../../schemas/executors.js'
import { ALL_CALLERS } from '../../schemas/common.js'
import { name } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  getComponent,
  listRegisteredComponents,
  registerComponent,
  registrationRules
} from '../../services/components.js'
import { executorRegistry } from '../../services/healing/executors/registry.js'
import { callerOf } from '../caller.js'

const NameParams = Type.Object({ component_name: ComponentName })

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const rules = registrationRules(config)

  app.put(
    '/components/:component_name',
    {
      config: { allow: ['service', 'admin'] },
      schema: {
        operationId: 'registerComponent',
        tags: ['components'],
        summary: "Register a component's control targets",
        description:
          "Replaces the registration of the component in its organization: the caller's own, or for the service role the `organization_id` it names (required; null for the platform's own). Targets may not point at loopback, private, link-local, CGNAT, metadata or unspecified addresses unless HEAL_ALLOWED_TARGETS lists them. A webhook is signed per Standard Webhooks with a whsec_ secret: one given is stored encrypted and never returned; a new webhook registered without one gets one generated and returned in this answer only; changing webhook_url needs a new secret (409 otherwise). A Redis target needs a key_prefix ending in a delimiter; a database target needs an application_name that is not the service's own. An organization has at most 10,000 registered components: registering another is 409 COMPONENT_LIMIT_REACHED.",
        params: NameParams,
        body: ref(ComponentInput),
        response: {
          200: ref(Component, 'The registration; webhook_secret only when it was generated'),
          ...problems(400, 401, 403, 409, 429)
        }
      }
    },
    async request =>
      await registerComponent(app.db, callerOf(request), request.params.component_name, request.body, rules)
  )

  app.get(
    '/components',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listComponents',
        tags: ['components'],
        summary: 'The registered components',
        description:
          "A user sees their organization's; admins and the service role see every organization's unless they name one. `component_name` narrows to one component's registration (an empty list when it has none), for any reported name.",
        querystring: Type.Object(
          {
            component_type: Type.Optional(name(100, { description: 'Only components of this type' })),
            component_name: Type.Optional(ReportedComponentName),
            organization_id: OrganizationQuery
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(Component), { description: "By organization (the platform's first), then name" }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => await listRegisteredComponents(app.db, callerOf(request), request.query)
  )

  app.get(
    '/components/:component_name',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getComponent',
        tags: ['components'],
        summary: "One component's registration",
        description: "Within the caller's organization, or the one named; the service role must name it.",
        params: NameParams,
        querystring: Type.Object({ organization_id: OrganizationQuery }, { additionalProperties: false }),
        response: { 200: ref(Component, 'The registration, without secrets'), ...problems(400, 401, 404, 429) }
      }
    },
    async request =>
      await getComponent(app.db, callerOf(request), request.params.component_name, request.query.organization_id)
  )

  app.get(
    '/executors',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listExecutors',
        tags: ['recovery actions'],
        summary: 'The executor registry: every recovery action type the engine can run',
        description:
          'Every caller. Each action type with its parameters, whether it needs approval, its time limit and its inverse for rollback.',
        response: {
          200: Type.Array(ref(ExecutorDescription), { description: 'One entry per action type' }),
          ...problems(401, 429)
        }
      }
    },
    async () =>
      executorRegistry.map(executor => ({
        type: executor.type,
        description: executor.description,
        risky: executor.risky,
        inverse: executor.inverse ?? null,
        config_schema: executor.configSchema as Record<string, unknown>
      }))
  )
}

export default routes
