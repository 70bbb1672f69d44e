// The component registry: admins and services register control targets; everyone reads
// them without secrets (the webhook secret never leaves, URL passwords are masked). A
// registration is its organization's: the same name in two organizations is two components.
// Targets are checked against the target policy before anything is stored, and webhook
// secrets are stored sealed with SECRETS_KEY.
import type { Config } from '../config.js'
import type { Db } from '../db/port.js'
import type { Identity } from './auth/identity.js'
import {
  findComponent,
  listComponents,
  lockAndCountOtherComponents,
  lockWebhookUrl,
  upsertComponent
} from '../db/components.js'
import type { ComponentInputBody, ComponentRow } from '../schemas/components.js'
import { errors, InvalidFields } from '../errors.js'
import { generateWebhookSecret, webhookSecretProblem } from './healing/executors/standard-webhooks.js'
import { actingOrganization, listedOrganization } from './organization-scope.js'
import { maskUrlPassword } from './redaction.js'
import { seal, secretsKey, type SecretsKey } from './secrets.js'
import { targetPolicy } from '../lib/address-policy.js'
import { targetProblems, type TargetRules } from './targets/target-rules.js'

// GET /v1/components answers with the whole registry of an organization, and there is no way to
// unregister: without a bound, one organization's admin could register names until a read of its
// registry is unbounded. Ten thousand components with control targets is far beyond a platform's
// services, and with no delete a lower limit could trap a real one; a replaced registration does
// not count again.
export const MAX_COMPONENTS_PER_ORGANIZATION = 10_000

export interface RegistrationRules extends TargetRules {
  key: SecretsKey
}

export function registrationRules(config: Config): RegistrationRules {
  return {
    policy: targetPolicy(config.healing.allowedTargets),
    allowSelfReset: config.healing.allowSelfReset,
    ownDatabaseUrl: config.databaseUrl,
    key: secretsKey(config.secretsKey as string)
  }
}

function present(row: ComponentRow): ComponentRow {
  return { ...row, redis_url: maskUrlPassword(row.redis_url), database_url: maskUrlPassword(row.database_url) }
}

function refuseBadInput(input: ComponentInputBody, rules: TargetRules): void {
  const problems = targetProblems(input, rules)
  const secretProblem =
    typeof input.webhook_secret === 'string' ? webhookSecretProblem(input.webhook_secret) : undefined
  if (secretProblem !== undefined) problems.push({ path: '/body/webhook_secret', message: secretProblem })
  if (problems.length > 0) throw new InvalidFields(problems)
}

export async function registerComponent(
  db: Db,
  caller: Identity,
  name: string,
  input: ComponentInputBody,
  rules: RegistrationRules
): Promise<ComponentRow> {
  const { organization_id: named, ...registration } = input
  const key = { organizationId: actingOrganization(caller, named, '/body/organization_id'), componentName: name }
  refuseBadInput(registration, rules)
  return await db.asCaller(caller, async tx => {
    if ((await lockAndCountOtherComponents(tx, key)) >= MAX_COMPONENTS_PER_ORGANIZATION)
      throw new errors.ComponentLimitReached(
        `organization ${key.organizationId ?? 'platform'} has ${MAX_COMPONENTS_PER_ORGANIZATION} registered components, the most it may have`
      )
    let secret = registration.webhook_secret ?? undefined
    let generated: string | undefined
    const url = registration.webhook_url ?? undefined
    if (url !== undefined && secret === undefined) {
      const current = await lockWebhookUrl(tx, key)
      // The stored secret was shared with the old endpoint; sending it to a new one would hand it over.
      if (typeof current === 'string' && current !== url) {
        throw new errors.WebhookSecretRequired(
          `component ${name} changes its webhook_url: send a new webhook_secret with it (the stored one belongs to the old endpoint), or leave webhook_secret out of a registration that keeps the same URL`
        )
      }
      if (current !== url) secret = generated = generateWebhookSecret()
    }
    const row = present(
      await upsertComponent(tx, key, {
        ...registration,
        ...(secret === undefined ? {} : { webhook_secret: seal(secret, rules.key) })
      })
    )
    return generated === undefined ? row : { ...row, webhook_secret: generated }
  })
}

export async function getComponent(
  db: Db,
  caller: Identity,
  name: string,
  organizationId: string | undefined
): Promise<ComponentRow> {
  const key = {
    organizationId: actingOrganization(caller, organizationId, '/querystring/organization_id'),
    componentName: name
  }
  const row = await db.asCaller(caller, async tx => await findComponent(tx, key))
  if (row === undefined) throw new errors.ComponentNotFound(`component ${name} is not registered`)
  return present(row)
}

export async function listRegisteredComponents(
  db: Db,
  caller: Identity,
  query: { component_type?: string; component_name?: string; organization_id?: string }
): Promise<ComponentRow[]> {
  const filter = {
    componentType: query.component_type ?? null,
    componentName: query.component_name ?? null,
    organizationId: listedOrganization(caller, query.organization_id)
  }
  return (await db.asCaller(caller, async tx => await listComponents(tx, filter))).map(present)
}
