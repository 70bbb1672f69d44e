// End to end: an Alertmanager alert for a registered component opens a signal, the healing
// engine acts on it (its mapping escalates an alert type it has no recovery action for), the
// organization's PagerDuty channel gets a trigger keyed by the signal, and the alert's
// resolution resolves the signal and the PagerDuty alert.
import t from 'tap'
import { buildTestApp, createIngestKey } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'
import { startPagerDuty } from '../helpers/channel-receivers.js'
import { firingGroup, resolvedGroup } from '../fixtures/alertmanager.js'

const ROUTING_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJ01'

t.test(
  'Alertmanager alert -> signal -> healing action -> PagerDuty trigger; resolved alert -> PagerDuty resolve',
  async t => {
    const ctx = await buildTestApp(t)
    const pagerDuty = await startPagerDuty(t, ROUTING_KEY)
    const sql = ownerSql(t, ctx.databaseUrl)

    t.equal(
      (
        await ctx.app.inject({
          method: 'PUT',
          url: '/v1/components/checkout',
          headers: ctx.admin.headers,
          payload: { component_type: 'service', organization_id: ctx.admin.organizationId }
        })
      ).statusCode,
      200
    )
    t.equal(
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/v1/channels',
          headers: ctx.admin.headers,
          payload: {
            name: 'checkout on-call',
            kind: 'pagerduty',
            routing_key: ROUTING_KEY,
            url: pagerDuty.url,
            min_severity: 'high'
          }
        })
      ).statusCode,
      201
    )
    const key = await createIngestKey(ctx, 'alertmanager')
    const alertmanager = { authorization: `Bearer ${key}` }

    const fired = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers: alertmanager,
      payload: firingGroup
    })
    t.match(fired.json(), { opened: 1 })
    const anomalyId = fired.json().signal_ids[0] as string

    const healed = await ctx.app.inject({
      method: 'POST',
      url: '/v1/self-healing/run',
      headers: ctx.service.headers,
      payload: { anomaly_id: anomalyId }
    })
    t.equal(healed.statusCode, 200)
    const [action] =
      await sql`select action_type, execution_status, organization_id, target_component_name from recovery_actions where triggered_by_anomaly_id = ${anomalyId}`
    t.match(
      action,
      {
        action_type: 'alert_escalation',
        execution_status: 'succeeded',
        organization_id: ctx.admin.organizationId,
        target_component_name: 'checkout'
      },
      'the engine took a healing action for the signal'
    )

    t.match(await ctx.app.channels.dispatch(), { sent: 1 })
    t.equal(pagerDuty.alerts.get(anomalyId), 'triggered')
    t.match(pagerDuty.received[0]?.body, {
      event_action: 'trigger',
      dedup_key: anomalyId,
      payload: {
        severity: 'critical',
        source: 'checkout',
        component: 'checkout',
        custom_details: { actions_taken: [{ action_type: 'alert_escalation' }] }
      }
    })

    const resolved = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers: alertmanager,
      payload: resolvedGroup('5b1a9c0f3e2d4a61', '8e0c27d41f6b3a95')
    })
    t.match(resolved.json(), { resolved: 1 })
    await ctx.app.channels.dispatch()
    t.equal(pagerDuty.alerts.get(anomalyId), 'resolved')
    t.same(
      pagerDuty.received.map(r => [r.body.event_action, r.body.dedup_key]),
      [
        ['trigger', anomalyId],
        ['resolve', anomalyId]
      ]
    )
  }
)
