// Shared arrangements for the healing engine's tests: an app on a fresh database with the
// engine's delays in milliseconds, a registered component whose control endpoint is a real
// local server checking signatures, anomalies and health events written as the owner.
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import type { Test } from 'tap'
import type { HealingConfig } from '../../../src/config.js'
import type { Sql } from '../../../src/db/client.js'
import type { Db } from '../../../src/db/port.js'
import { createHealingEngine, type HealingEngine } from '../../../src/services/healing/engine.js'
import { buildTestApp, TEST_SECRETS_KEY, testConfig, type TestApp } from '../../helpers/app.js'
import { startControlEndpoint, type ControlEndpoint } from '../../helpers/control-endpoint.js'
import { ownerSql } from '../../helpers/database.js'

export const SECRET = 'whsec_aGVhbGluZy1jb250cm9sLXNlY3JldC0wMTIzNDU2Nzg5'

export function fastHealing(overrides: Partial<HealingConfig> = {}): HealingConfig {
  return { ...testConfig().healing, verificationDelayMs: 0, leaseGraceMs: 50, approvalTtlMs: 60_000, ...overrides }
}

export interface HealingSetup extends TestApp {
  sql: Sql
  endpoint: ControlEndpoint
  engine: HealingEngine
  healing: HealingConfig
}

export function engineFor(db: Db, healing: HealingConfig): HealingEngine {
  return createHealingEngine({ db, config: healing, secretsKey: TEST_SECRETS_KEY, log: pino({ level: 'silent' }) })
}

export async function setup(
  t: Test,
  overrides: Partial<HealingConfig> = {},
  component = 'checkout-api'
): Promise<HealingSetup> {
  const healing = fastHealing(overrides)
  const ctx = await buildTestApp(t, { healing })
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  await register(ctx, component, endpoint.url)
  return { ...ctx, sql: ownerSql(t, ctx.databaseUrl), endpoint, engine: engineFor(ctx.app.db, healing), healing }
}

export async function register(ctx: TestApp, component: string, url: string): Promise<void> {
  const res = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${component}`,
    headers: ctx.service.headers,
    payload: { component_type: 'service', organization_id: null, webhook_url: url, webhook_secret: SECRET }
  })
  if (res.statusCode !== 200) throw new Error(`register ${component}: ${res.body}`)
}

export async function anomaly(sql: Sql, fields: Record<string, unknown> = {}): Promise<string> {
  const row = {
    anomaly_type: 'latency_spike',
    severity: 'critical',
    source_type: 'system_health_events',
    source_component_name: 'checkout-api',
    ...fields
  }
  const [inserted] = await sql<
    Array<{ id: string }>
  >`insert into anomaly_signals ${sql(row as never, Object.keys(row))} returning id`
  return (inserted as { id: string }).id
}

export async function health(sql: Sql, fields: Record<string, unknown> = {}): Promise<void> {
  const row = { component_type: 'service', component_name: 'checkout-api', status: 'unhealthy', ...fields }
  await sql`insert into system_health_events ${sql(row as never, Object.keys(row))}`
}

export async function action(sql: Sql, fields: Record<string, unknown> = {}): Promise<string> {
  const row = { id: randomUUID(), action_type: 'restart_function', target_component_name: 'checkout-api', ...fields }
  await sql`insert into recovery_actions ${sql(row as never, Object.keys(row))}`
  return row.id
}

export async function actionRow(sql: Sql, id: string): Promise<Record<string, unknown>> {
  const [row] = await sql`select * from recovery_actions where id = ${id}`
  return row as Record<string, unknown>
}

export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
