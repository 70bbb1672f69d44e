// The one secret box: both stored forms open with the key that sealed them and nothing else, and
// a channel's secret opens only on the channel it was sealed for.
import t from 'tap'
import { seal, sealBound, secretsKey, unseal, unsealBound } from '../../src/services/secrets.js'

const key = secretsKey('a-secrets-key-of-at-least-thirty-two-characters')
const other = secretsKey('another-secrets-key-of-at-least-thirty-two-chars')

t.test('a sealed webhook secret names its format and opens only with its key', async t => {
  const sealed = seal('whsec_c2VjcmV0', key)
  t.match(sealed, /^sealed:v1:/)
  t.equal(unseal(sealed, key), 'whsec_c2VjcmV0')
  t.throws(() => unseal(sealed, other))
  t.throws(() => unseal('whsec_c2VjcmV0', key), /not sealed/)
})

t.test('a bound secret opens only with its key and its context', async t => {
  const sealed = sealBound('{"routing_key":"R0UTING"}', key, 'channel-a')
  t.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
  t.equal(unsealBound(sealed, key, 'channel-a'), '{"routing_key":"R0UTING"}')
  t.throws(() => unsealBound(sealed, key, 'channel-b'), 'copied onto another channel it does not open')
  t.throws(() => unsealBound(sealed, other, 'channel-a'))
  t.throws(() => unsealBound('v2.a.b.c', key, 'channel-a'), /not a sealed secret/)
  t.not(sealBound('same', key, 'c'), sealBound('same', key, 'c'), 'a fresh nonce each time')
})
