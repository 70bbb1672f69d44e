// /v1/channels: each organization's notification channels (Slack, signed webhook, PagerDuty),
// managed by the organization's admins or the service role naming the organization.
import { targetPolicy } from '../../lib/address-policy.js'
import { secretsKey as storedSecretsKey } from '../../services/secrets.js'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { Channel, ChannelDelivery, ChannelInput, ChannelTestResult, ChannelUpdate } from '../../schemas/channels.js'
import { idParams } from '../../schemas/common.js'
import { uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  changeChannel,
  channelDeliveries,
  createChannel,
  getChannel,
  listOrganizationChannels,
  removeChannel,
  testChannel
} from '../../services/channels/channels.js'
import { callerOf } from '../caller.js'
import { actingForOrganization } from '../organization.js'

const tags = ['channels']
const OrganizationQuery = Type.Object(
  { organization_id: Type.Optional(uuid({ description: 'For the service role: whose channel' })) },
  { additionalProperties: false }
)
const MANAGERS = { allow: ['admin', 'service'] as Array<'admin' | 'service'> }

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const { channelTimeoutMs } = config.integrations
  const settings = {
    secretsKey: storedSecretsKey(config.secretsKey as string),
    policy: targetPolicy(config.healing.allowedTargets)
  }
  const acting = (
    request: FastifyRequest & { query: { organization_id?: string | undefined } }
  ): ReturnType<typeof actingForOrganization> =>
    actingForOrganization(callerOf(request), request.query.organization_id, '/querystring/organization_id')

  app.post(
    '/channels',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'createChannel',
        summary: 'Add a notification channel to an organization',
        description:
          'slack needs webhook_url; webhook needs url (its secret is generated and returned once when not given); pagerduty needs routing_key. Secrets are encrypted and never returned.',
        body: ref(ChannelInput),
        response: {
          201: ref(Channel, 'The channel, without its secrets'),
          ...problems(400, 401, 403, 409, 429),
          503: {
            ...problems(503)[503],
            description: 'The database did not answer within the request deadline, or is unreachable'
          }
        }
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
        .send(await createChannel(app.db, caller, organizationId, request.body, identity.userId, settings))
    }
  )

  app.get(
    '/channels',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'listChannels',
        summary: "List the organization's channels, newest first",
        description:
          "Admins and services. Each channel's kind, settings and state, never its secrets. The service role names the organization with `organization_id`.",
        querystring: OrganizationQuery,
        response: { 200: Type.Array(ref(Channel)), ...problems(400, 401, 403, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await listOrganizationChannels(app.db, caller, organizationId)
    }
  )

  app.get(
    '/channels/:id',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'getChannel',
        summary: 'One channel',
        description: 'Without its secrets. A channel of another organization is 404.',
        params: idParams('the notification channel'),
        querystring: OrganizationQuery,
        response: { 200: ref(Channel), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await getChannel(app.db, caller, organizationId, request.params.id)
    }
  )

  app.patch(
    '/channels/:id',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'updateChannel',
        summary: 'Change a channel',
        description: 'Only the fields sent change; new secrets are encrypted and never returned.',
        params: idParams('the notification channel'),
        querystring: OrganizationQuery,
        body: ref(ChannelUpdate),
        response: {
          200: ref(Channel),
          ...problems(400, 401, 403, 404, 409, 429),
          503: {
            ...problems(503)[503],
            description: 'The database did not answer within the request deadline, or is unreachable'
          }
        }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await changeChannel(app.db, caller, organizationId, request.params.id, request.body, settings)
    }
  )

  app.delete(
    '/channels/:id',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'deleteChannel',
        summary: 'Delete a channel and its pending notifications',
        description:
          'The channel goes, and with it the notifications still queued for it. A channel of another organization is 404.',
        params: idParams('the notification channel'),
        querystring: OrganizationQuery,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problems(400, 401, 403, 404, 429) }
      }
    },
    async (request, reply) => {
      const { caller, organizationId } = acting(request)
      await removeChannel(app.db, caller, organizationId, request.params.id)
      return await reply.code(204).send(null)
    }
  )

  app.post(
    '/channels/:id/test',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'testChannel',
        summary: "Send a test notification now and report the channel's answer",
        description:
          'Bypasses the outbox and its retries. PagerDuty gets a trigger and its resolve under a test dedup_key.',
        params: idParams('the notification channel'),
        querystring: OrganizationQuery,
        response: {
          200: ref(ChannelTestResult, 'What the channel answered'),
          ...problems(400, 401, 403, 404, 429),
          503: {
            ...problems(503)[503],
            description: 'The database did not answer within the request deadline, or is unreachable'
          }
        }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await testChannel(app.db, caller, organizationId, request.params.id, settings, channelTimeoutMs)
    }
  )

  app.get(
    '/channels/:id/deliveries',
    {
      config: MANAGERS,
      schema: {
        tags,
        operationId: 'listChannelDeliveries',
        summary: "List the channel's latest notifications and their delivery state",
        description:
          "Newest first, at most `limit`: each notification's event, delivery state, attempts and last error. A channel of another organization is 404.",
        params: idParams('the notification channel'),
        querystring: Type.Object(
          {
            ...OrganizationQuery.properties,
            limit: Type.Integer({
              minimum: 1,
              maximum: 500,
              default: 50,
              description: 'At most this many notifications'
            })
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(ChannelDelivery), { description: 'Newest first' }),
          ...problems(400, 401, 403, 404, 429)
        }
      }
    },
    async request => {
      const { caller, organizationId } = acting(request)
      return await channelDeliveries(app.db, caller, organizationId, request.params.id, request.query.limit)
    }
  )
}

export default routes
