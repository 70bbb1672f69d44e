// A component's registered control targets in the shape executors take (absent fields left out).
// The targets are the action's organization's: another organization's component of the same
// name is never acted on. Its webhook secret is opened from its sealed form; a secret that
// cannot be opened (another SECRETS_KEY, or plain text an older version wrote) is left out, so
// the webhook is refused as unsigned rather than signed with the wrong key.
import type { Tx } from '../../db/client.js'
import { findTarget } from '../../db/component-targets.js'
import type { ComponentKey } from '../../db/organization-key.js'
import { unseal, type SecretsKey } from '../secrets.js'
import type { ComponentTarget } from './executors/types.js'

function opened(sealed: string | null, secrets: SecretsKey): string | null {
  if (sealed === null) return null
  try {
    return unseal(sealed, secrets)
  } catch {
    return null
  }
}

export async function loadTarget(tx: Tx, key: ComponentKey, secrets: SecretsKey): Promise<ComponentTarget | null> {
  const row = await findTarget(tx, key)
  if (row === undefined) return null
  const present = Object.entries({ ...row, webhook_secret: opened(row.webhook_secret, secrets) }).filter(
    ([field, value]) => value !== null && field !== 'organization_id'
  )
  return Object.fromEntries(present) as unknown as ComponentTarget
}
