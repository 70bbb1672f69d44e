// A real Alertmanager (the Debian prometheus-alertmanager package) with a webhook receiver
// pointed at the running service, authorised by an ingest key in http_config.authorization:
// an alert posted to its API opens the signal, and the alert ended there resolves it.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildTestApp, createIngestKey } from '../helpers/app.js'
import { closedPort } from '../helpers/control-endpoint.js'
import { ownerSql } from '../helpers/database.js'

const BINARY = '/usr/bin/prometheus-alertmanager'

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

t.test(
  'Alertmanager notifies the service through its webhook receiver',
  {
    skip: existsSync(BINARY)
      ? false
      : 'prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)'
  },
  async t => {
    const ctx = await buildTestApp(t)
    await ctx.app.listen({ host: '127.0.0.1', port: 0 })
    const service = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`
    const key = await createIngestKey(ctx, 'alertmanager')

    const dir = mkdtempSync(path.join(tmpdir(), 'alertmanager-'))
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true })
    })
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      `
route:
  receiver: core314
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: core314
    webhook_configs:
      - url: ${service}/v1/integrations/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${key}
`
    )
    const port = await closedPort()
    const child = spawn(
      BINARY,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${dir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address='
      ],
      { stdio: 'ignore' }
    )
    // Stopped and waited for before its folder is removed: it writes its state as it exits, and a
    // removal racing that write failed the teardown and left the app listening.
    const exited = new Promise(resolve => child.once('exit', resolve))
    t.teardown(async () => {
      child.kill()
      await exited
    })
    const api = `http://127.0.0.1:${port}/api/v2`
    await until(
      'Alertmanager to start',
      async () =>
        await fetch(`${api}/status`)
          .then(res => (res.ok ? true : undefined))
          .catch(() => undefined)
    )

    const alert = {
      labels: { alertname: 'QueueBacklogGrowing', service: 'ledger', severity: 'critical' },
      annotations: { summary: 'ledger queue backlog above 10k' },
      generatorURL: 'http://prometheus:9090/graph'
    }
    const startsAt = new Date().toISOString()
    t.equal(
      (
        await fetch(`${api}/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ ...alert, startsAt }])
        })
      ).status,
      200
    )

    const sql = ownerSql(t, ctx.databaseUrl)
    const opened = await until('the signal', async () => (await sql`select * from anomaly_signals`)[0])
    t.match(opened, {
      organization_id: ctx.admin.organizationId,
      anomaly_type: 'queue_backlog_growing',
      severity: 'critical',
      source_type: 'alertmanager',
      source_component_name: 'ledger',
      anomaly_summary: 'ledger queue backlog above 10k',
      status: 'open'
    })
    t.match(opened.metadata, { alertmanager: { fingerprints: [String], receiver: 'core314' } })

    t.equal(
      (
        await fetch(`${api}/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ ...alert, startsAt, endsAt: new Date().toISOString() }])
        })
      ).status,
      200
    )
    const resolved = await until(
      'the resolution',
      async () => (await sql`select status from anomaly_signals where status = 'resolved'`)[0]
    )
    t.equal(resolved.status, 'resolved')
    t.equal((await sql`select count(*)::int as n from anomaly_signals`)[0]?.n, 1)
  }
)
