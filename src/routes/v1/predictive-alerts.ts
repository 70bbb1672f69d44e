// /v1/predictive-alerts: the forecaster's alerts that a resource runs out (docs/prediction.md),
// read under RLS: members see their organization's, admins and services every organization's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { severity } from '../../schemas/anomalies.js'
import { ALL_CALLERS, idParams, paginationQuery } from '../../schemas/common.js'
import { OrganizationQuery } from '../../schemas/components.js'
import { name } from '../../schemas/fields.js'
import {
  ALERT_STATUSES,
  FORECAST_METRIC_NAMES,
  PredictiveAlert,
  PredictiveAlertList
} from '../../schemas/predictive-alerts.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { getPredictiveAlert, pagePredictiveAlerts } from '../../services/predictive-alerts.js'
import { callerOf } from '../caller.js'

const tags = ['predictive-alerts']

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/predictive-alerts',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listPredictiveAlerts',
        summary: 'List forecasts of resources running out, newest first',
        description:
          "A user sees their organization's; admins and the service role see every organization's unless they name one.",
        querystring: Type.Object(
          {
            ...paginationQuery,
            organization_id: OrganizationQuery,
            component_name: Type.Optional(name(200, { description: 'Only alerts about the component of this name' })),
            metric_name: Type.Optional(
              Type.Enum(FORECAST_METRIC_NAMES, { description: 'Only alerts forecasting this metric' })
            ),
            status: Type.Optional(Type.Enum(ALERT_STATUSES, { description: 'Only alerts in this state' })),
            severity: Type.Optional(severity({ description: 'Only alerts of this severity' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(PredictiveAlertList, 'A page of alerts'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pagePredictiveAlerts(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/predictive-alerts/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getPredictiveAlert',
        summary: 'One predictive alert',
        description:
          "A user sees their organization's, admins and services all; an alert the caller may not see is 404.",
        params: idParams('the predictive alert'),
        response: { 200: ref(PredictiveAlert, 'The alert'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getPredictiveAlert(app.db, callerOf(request), request.params.id)
  )
}

export default routes
