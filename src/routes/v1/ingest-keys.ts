// /v1/ingest-keys: an organization's admin (or the service role naming the organization)
// creates, lists and revokes the keys its Alertmanagers and OpenTelemetry exporters push with.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CreatedIngestKey, IngestKey, IngestKeyInput } from '../../schemas/ingest-keys.js'
import { idParams } from '../../schemas/common.js'
import { uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  createIngestKey,
  listOrganizationIngestKeys,
  revokeOrganizationIngestKey
} from '../../services/integrations/ingest-keys.js'
import { callerOf } from '../caller.js'
import { actingForOrganization } from '../organization.js'

const tags = ['integrations']
const OrganizationQuery = Type.Object(
  { organization_id: Type.Optional(uuid({ description: 'For the service role: whose keys' })) },
  { additionalProperties: false }
)

const routes: FastifyPluginAsyncTypebox = async app => {
  app.post(
    '/ingest-keys',
    {
      config: { allow: ['admin', 'service'] },
      schema: {
        tags,
        operationId: 'createIngestKey',
        summary: 'Create an ingest key for an organization',
        description:
          'The key is in this response only; it is stored as a hash. No Idempotency-Key: a replay would have to store the key to show it again. An organization has at most 100 live (unrevoked) keys: 409 INGEST_KEY_LIMIT_REACHED beyond.',
        body: ref(IngestKeyInput),
        response: { 201: ref(CreatedIngestKey, 'The key, shown once'), ...problems(400, 401, 403, 409, 429) }
      }
    },
    async (request, reply) => {
      const identity = callerOf(request)
      const { caller, organizationId } = actingForOrganization(
        identity,
        request.body.organization_id,
        '/body/organization_id'
      )
      return await reply
        .code(201)
        .send(await createIngestKey(app.db, caller, organizationId, request.body.name, identity.userId))
    }
  )

  app.get(
    '/ingest-keys',
    {
      config: { allow: ['admin', 'service'] },
      schema: {
        tags,
        operationId: 'listIngestKeys',
        summary: "List the organization's ingest keys, newest first",
        description:
          "Admins and services. Each key's name, prefix, creation, last use and revocation, never the key itself (only its hash is stored): every live key and the 100 revoked most recently. The service role names the organization with `organization_id`.",
        querystring: OrganizationQuery,
        response: { 200: Type.Array(ref(IngestKey)), ...problems(400, 401, 403, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = actingForOrganization(
        callerOf(request),
        request.query.organization_id,
        '/querystring/organization_id'
      )
      return await listOrganizationIngestKeys(app.db, caller, organizationId)
    }
  )

  app.delete(
    '/ingest-keys/:id',
    {
      config: { allow: ['admin', 'service'] },
      schema: {
        tags,
        operationId: 'revokeIngestKey',
        summary: 'Revoke an ingest key',
        description:
          'Requests presenting it are refused (401) from then on. Revoking twice keeps the first time. The organization keeps its 100 most recently revoked keys listed; older revoked ones are deleted.',
        params: idParams('the ingest key'),
        querystring: OrganizationQuery,
        response: { 200: ref(IngestKey, 'The revoked key'), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = actingForOrganization(
        callerOf(request),
        request.query.organization_id,
        '/querystring/organization_id'
      )
      return await revokeOrganizationIngestKey(app.db, caller, organizationId, request.params.id)
    }
  )
}

export default routes
