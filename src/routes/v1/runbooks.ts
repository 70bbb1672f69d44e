// /v1/runbooks: an organization's runbooks as code. Its admins (or the service role naming the
// organization) store a document, in JSON or YAML, as the next version of its name, delete
// (disable) a name, and dry-run it on a component; its members read them. The document's schema
// is published at /v1/runbooks/schema and in the OpenAPI document (RunbookDocument).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ALL_CALLERS } from '../../schemas/common.js'
import { jsonObject, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  Runbook,
  RunbookDocument,
  RunbookDryRun,
  RunbookDryRunInput,
  RUNBOOK_NAME_MAX_LENGTH,
  RUNBOOK_NAME_PATTERN
} from '../../schemas/runbooks.js'
import type { HealingEngine } from '../../services/healing/engine.js'
import { createRunbook, deleteRunbook, getRunbook, listRunbooks } from '../../services/runbooks/documents.js'
import { callerOf } from '../caller.js'
import { actingForOrganization } from '../organization.js'
import { parseYamlBody, YAML } from '../yaml-body.js'

const tags = ['runbooks']
const organization_id = Type.Optional(uuid({ description: "For the service role: the organization's runbooks" }))
const OrganizationQuery = Type.Object({ organization_id }, { additionalProperties: false })
const VersionQuery = Type.Object(
  {
    organization_id,
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the latest' }))
  },
  { additionalProperties: false }
)
const NameParams = Type.Object({
  name: Type.String({
    maxLength: RUNBOOK_NAME_MAX_LENGTH,
    pattern: RUNBOOK_NAME_PATTERN,
    description: "The runbook's name"
  })
})
// The document's schema as a plain JSON Schema, for editors and CI to validate against before sending.
const PUBLISHED_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  ...(JSON.parse(JSON.stringify(RunbookDocument)) as Record<string, unknown>)
}
const MANAGERS = { allow: ['admin', 'service'] as Array<'admin' | 'service'> }

const acting = (
  request: FastifyRequest & { query: { organization_id?: string | undefined } }
): ReturnType<typeof actingForOrganization> =>
  actingForOrganization(callerOf(request), request.query.organization_id, '/querystring/organization_id')

const routes: FastifyPluginAsyncTypebox<{ healing: HealingEngine }> = async (app, { healing }) => {
  app.addContentTypeParser(YAML, { parseAs: 'string' }, parseYamlBody)

  app.post(
    '/runbooks',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'createRunbook',
        summary: 'Store a runbook, as the next version of its name',
        description:
          'JSON (`application/json`) or YAML (`application/yaml`), validated against RunbookDocument (`GET /v1/runbooks/schema`): a 400 names the path of every problem and nothing is stored. The first document on a name is version 1; each later one the next version, which the engine uses from then on (and which enables a deleted name again). An organization has at most 200 runbooks in use (deleted names do not count): 409 RUNBOOK_LIMIT_REACHED for another name beyond, and for any document once it has stored 10,000 versions (deleted names included).',
        consumes: ['application/json', YAML],
        querystring: OrganizationQuery,
        body: ref(RunbookDocument),
        response: { 201: ref(Runbook, 'The stored version'), ...problems(400, 401, 403, 409, 415, 429) }
      }
    },
    async (request, reply) => {
      const identity = callerOf(request)
      const { caller, organizationId } = acting(request)
      return await reply
        .code(201)
        .send(await createRunbook(app.db, caller, organizationId, request.body, identity.userId))
    }
  )

  app.get(
    '/runbooks',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listRunbooks',
        summary: "The organization's runbooks, the latest version of each, by name",
        description: 'Deleted names are listed disabled. The service role names the organization.',
        querystring: OrganizationQuery,
        response: { 200: Type.Array(ref(Runbook)), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await listRunbooks(app.db, caller, organizationId)
    }
  )

  app.get(
    '/runbooks/schema',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getRunbookSchema',
        summary: 'The JSON Schema a runbook document must meet',
        description: 'The same schema as the RunbookDocument component of the OpenAPI document, for editors and CI.',
        response: { 200: jsonObject({ description: 'A JSON Schema (2020-12)' }), ...problems(401, 429) }
      }
    },
    async () => PUBLISHED_SCHEMA
  )

  app.get(
    '/runbooks/:name',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getRunbook',
        summary: 'A runbook: its latest version, or the one named',
        description:
          "Members of the organization read its runbooks; another organization's is a 404. A disabled (deleted) name still reads, with enabled false.",
        params: NameParams,
        querystring: VersionQuery,
        response: { 200: ref(Runbook, 'The runbook'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await getRunbook(app.db, caller, organizationId, request.params.name, request.query.version ?? null)
    }
  )

  app.delete(
    '/runbooks/:name',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'deleteRunbook',
        summary: 'Disable a runbook (every version of the name)',
        description:
          'The engine stops starting runs of it; runs already going finish, and its versions stay readable. Storing a new version enables the name again.',
        params: NameParams,
        querystring: OrganizationQuery,
        response: { 200: ref(Runbook, 'The latest version, disabled'), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await deleteRunbook(app.db, caller, organizationId, request.params.name)
    }
  )

  app.post(
    '/runbooks/:name/dry-run',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'dryRunRunbook',
        summary: 'What the runbook would do on a component now, doing nothing',
        description:
          "Each step with the guard that would hold it, whether it waits for approval, its executor's dry run against the component's registered target, and its verification read against the component's newest health event. Nothing is stored, sent or escalated.",
        params: NameParams,
        querystring: VersionQuery,
        body: ref(RunbookDryRunInput),
        response: { 200: ref(RunbookDryRun, 'The steps'), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      const runbook = await getRunbook(
        app.db,
        caller,
        organizationId,
        request.params.name,
        request.query.version ?? null
      )
      return await healing.dryRunRunbook(runbook, request.body)
    }
  )
}

export default routes
