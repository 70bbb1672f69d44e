// /v1/runbook-runs: the runs the engine made of an organization's runbooks, each with its steps,
// their status, the actions they acted through and what their verifications saw.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ALL_CALLERS, idParams, paginationQuery } from '../../schemas/common.js'
import { name, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { RUN_STATUSES, RunbookRunDetail, RunbookRunList } from '../../schemas/runbooks.js'
import { getRun, pageRuns } from '../../services/runbooks/runs.js'
import { callerOf } from '../caller.js'
import { actingForOrganization } from '../organization.js'

const tags = ['runbooks']
const organization_id = Type.Optional(uuid({ description: "For the service role: the organization's runs" }))

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/runbook-runs',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listRunbookRuns',
        summary: "The organization's runbook runs, newest first",
        description:
          'Runs the healing engine started for anomalies an enabled runbook covered: status (running, rolling_back, succeeded, failed, stopped, escalated, rolled_back, held, dry_run), the current step and the outcome. The service role names the organization.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            organization_id,
            status: Type.Optional(Type.Enum(RUN_STATUSES, { description: 'Only runs in this state' })),
            runbook_name: Type.Optional(name(100, { description: 'Only runs of the runbook of this name' })),
            component_name: Type.Optional(name(200, { description: 'Only runs on the component of this name' })),
            anomaly_id: Type.Optional(uuid({ description: 'Only runs started for this anomaly signal' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(RunbookRunList, 'A page of runs'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, organization_id: named, ...filters } = request.query
      const { caller, organizationId } = actingForOrganization(callerOf(request), named, '/querystring/organization_id')
      return await pageRuns(app.db, caller, organizationId, filters, cursor, limit)
    }
  )

  app.get(
    '/runbook-runs/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getRunbookRun',
        summary: 'A runbook run with its steps',
        description:
          "Each step with its recovery action (and the action's status where the caller may read the action), its verification window and what the verification saw.",
        params: idParams('the runbook run'),
        querystring: Type.Object({ organization_id }, { additionalProperties: false }),
        response: { 200: ref(RunbookRunDetail, 'The run'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = actingForOrganization(
        callerOf(request),
        request.query.organization_id,
        '/querystring/organization_id'
      )
      return await getRun(app.db, caller, organizationId, request.params.id)
    }
  )
}

export default routes
