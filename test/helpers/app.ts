// Builds the app for a test file on its own fresh database, with tokens for each kind of caller.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildApp, type App, type AppOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { signToken, type TokenClaims } from '../../src/services/auth/tokens.js'
import { standardSecret } from '../../src/services/healing/executors/standard-webhooks.js'
import { seal, secretsKey } from '../../src/services/secrets.js'
import { freshDatabase } from './database.js'

export const TEST_JWT_SECRET = 'test-secret-for-core314-self-healing-suite'
export const TEST_SECRETS_KEY = 'test-secrets-key-for-core314-self-healing-suite'
/**
 * The suite's control targets (HTTP servers, Redis, PostgreSQL) all listen on 127.0.0.1, which
 * the target policy refuses unless allow-listed: apps built here allow it, as an operator
 * running targets on the same host would. Tests of the refusal build apps without it.
 */
export const TEST_ALLOWED_TARGETS = '127.0.0.1'

export interface Caller {
  id: string
  organizationId: string
  token: string
  headers: { authorization: string }
}

export interface TestApp {
  app: App
  config: Config
  databaseUrl: string
  user: Caller
  otherUser: Caller
  admin: Caller
  service: Caller
  token: (claims: TokenClaims, expiresIn?: string) => Promise<string>
}

/** A webhook secret as the registry stores it (sealed with the suite's key), for rows written directly. */
export function sealedSecret(secret: string): string {
  return seal(standardSecret(secret), secretsKey(TEST_SECRETS_KEY))
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_KEY: TEST_SECRETS_KEY,
      HEAL_ALLOWED_TARGETS: TEST_ALLOWED_TARGETS,
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'silent'
    }),
    ...overrides
  }
}

async function caller(
  claims: (id: string, organizationId: string) => TokenClaims,
  organizationId: string
): Promise<Caller> {
  const id = randomUUID()
  const token = await signToken(TEST_JWT_SECRET, claims(id, organizationId))
  return { id, organizationId, token, headers: { authorization: `Bearer ${token}` } }
}

export async function tokensFor(
  organizationId: string
): Promise<Pick<TestApp, 'user' | 'otherUser' | 'admin' | 'service'>> {
  return {
    user: await caller(
      (sub, org) => ({ sub, role: 'authenticated', app_metadata: { organization_id: org } }),
      organizationId
    ),
    otherUser: await caller(
      (sub, org) => ({ sub, role: 'authenticated', app_metadata: { organization_id: org } }),
      organizationId
    ),
    admin: await caller(
      (sub, org) => ({ sub, role: 'authenticated', app_metadata: { organization_id: org, role: 'admin' } }),
      organizationId
    ),
    service: await caller(() => ({ role: 'service_role' }), organizationId)
  }
}

export async function buildTestApp(
  t: Test,
  overrides: Partial<Config> = {},
  options: AppOptions = {}
): Promise<TestApp> {
  const { url } = await freshDatabase(t)
  const config = testConfig({ databaseUrl: url, ...overrides })
  const app = await buildApp(config, { logger: false, ...options })
  t.teardown(async () => {
    await app.close()
  })
  return {
    app,
    config,
    databaseUrl: url,
    ...(await tokensFor(randomUUID())),
    token: async (claims, expiresIn) => await signToken(TEST_JWT_SECRET, claims, expiresIn)
  }
}

/** A new ingest key of the admin's organization, as POST /v1/ingest-keys returns it once. */
export async function createIngestKey(ctx: TestApp, name: string): Promise<string> {
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/ingest-keys',
    headers: ctx.admin.headers,
    payload: { name }
  })
  return created.json().key as string
}

/** POSTs as the service role what a test arranges, and fails the test's set-up unless it is created (201). */
export async function createAsService(ctx: TestApp, url: string, payload: object): Promise<unknown> {
  const res = await ctx.app.inject({ method: 'POST', url, headers: ctx.service.headers, payload })
  if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}
