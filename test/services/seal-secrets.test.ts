// Upgrading a database whose webhook secrets were stored in plain text: migration 0050 lets the
// rows stay until the start-up step seals them; after it every secret is sealed, opens to the
// whsec_ form of the same HMAC key, and the constraint can be validated.
import t from 'tap'
import { createDb } from '../../src/db/port.js'
import { sealPlainSecrets } from '../../src/services/seal-secrets.js'
import { secretsKey, unseal } from '../../src/services/secrets.js'
import { TEST_SECRETS_KEY } from '../helpers/app.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

t.test('plain secrets written before migration 0050 are sealed at start-up, once', async t => {
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  // The state an older version left: the check did not exist when these rows were written.
  await sql`alter table components drop constraint components_webhook_secret_sealed`
  await sql`insert into components (component_name, component_type, webhook_url, webhook_secret) values
    ('a', 'service', 'https://a.example.com', 'legacy-secret-of-sixteen+'), ('b', 'service', 'https://b.example.com', 'legacy-secret-of-sixteen+'),
    ('c', 'service', 'https://c.example.com', 'whsec_YWxyZWFkeS1zdGFuZGFyZC1zZWNyZXQtYnl0ZXM=')`
  await sql`alter table components add constraint components_webhook_secret_sealed check (webhook_secret like 'sealed:v1:%') not valid`

  const key = secretsKey(TEST_SECRETS_KEY)
  t.equal(await sealPlainSecrets(createDb(sql), key), 3)
  const rows = await sql<
    Array<{ component_name: string; webhook_secret: string }>
  >`select component_name, webhook_secret from components order by component_name`
  t.same(
    rows.map(row => unseal(row.webhook_secret, key)),
    [
      `whsec_${Buffer.from('legacy-secret-of-sixteen+').toString('base64')}`,
      `whsec_${Buffer.from('legacy-secret-of-sixteen+').toString('base64')}`,
      'whsec_YWxyZWFkeS1zdGFuZGFyZC1zZWNyZXQtYnl0ZXM='
    ],
    'the same HMAC key bytes, in whsec_ form'
  )
  t.notMatch(
    JSON.stringify(rows),
    /legacy-secret|YWxyZWFkeS1zdGFuZGFyZC1zZWNyZXQtYnl0ZXM/,
    'no plain secret left in the column'
  )
  await sql`alter table components validate constraint components_webhook_secret_sealed`
  t.equal(await sealPlainSecrets(createDb(sql), key), 0, 'a second start has nothing to do')
})
