// /v1/integrations/*: feeds teams already run, configured rather than coded against. The
// organization comes from the credential (an ingest key), never from the payload.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { AlertmanagerPayload, AlertmanagerResult } from '../../schemas/alertmanager.js'
import { uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { receiveAlerts } from '../../services/integrations/alertmanager.js'
import { callerOf } from '../caller.js'
import { actingFor } from '../organization.js'

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/integrations/alertmanager',
    {
      config: { allow: ['ingest', 'service'] },
      schema: {
        tags: ['integrations'],
        operationId: 'receiveAlertmanagerWebhook',
        summary: 'Receive an Alertmanager (or Grafana alerting) webhook',
        description:
          'Point a `webhook_configs` receiver here with `http_config.authorization.credentials` set to an ingest key. ' +
          'A firing alert opens (or joins, by fingerprint) the active signal of its component (the first of the labels ' +
          `${config.integrations.alertmanagerComponentLabels.join(', ')}) and anomaly type (alertname in snake_case); a resolved alert ` +
          'leaves it and the signal resolves with its last alert. Repeats change nothing. The service role may name the organization.',
        querystring: Type.Object(
          {
            organization_id: Type.Optional(
              uuid({ description: 'For a service token: the organization the alerts belong to' })
            )
          },
          { additionalProperties: false }
        ),
        body: ref(AlertmanagerPayload),
        response: { 200: ref(AlertmanagerResult, 'What the alerts did'), ...problems(400, 401, 403, 413, 429, 503) }
      }
    },
    async request => {
      const { caller, organizationId } = actingFor(callerOf(request), request.query.organization_id)
      return await receiveAlerts(app.db, caller, organizationId, request.body, {
        componentLabels: config.integrations.alertmanagerComponentLabels,
        maxFutureSkewMs: config.eventTime.maxFutureSkewMs
      })
    }
  )
}

export default routes
