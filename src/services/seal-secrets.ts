// The start-up step that seals webhook secrets an older version stored in plain text. It runs
// after migrations and before the service listens (migration 0050 cannot: the key is not in the
// database), in one transaction, so a restart finds each row either plain or sealed, never
// half done. A plain secret s becomes the Standard Webhooks secret whsec_<base64(s)>: the same
// HMAC key bytes, so a receiver keeps its key and only switches to the specification's headers.
import { SERVICE_CALLER } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { lockPlainWebhookSecrets, replaceWebhookSecret } from '../db/webhook-secrets.js'
import { standardSecret } from './healing/executors/standard-webhooks.js'
import { seal, type SecretsKey } from './secrets.js'

/** Seals every plain webhook secret; returns how many components were updated. */
export async function sealPlainSecrets(db: Db, key: SecretsKey): Promise<number> {
  return await db.asCaller(SERVICE_CALLER, async tx => {
    let updated = 0
    for (const plain of await lockPlainWebhookSecrets(tx))
      updated += await replaceWebhookSecret(tx, plain, seal(standardSecret(plain), key))
    return updated
  })
}
