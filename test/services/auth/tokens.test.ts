// Token rules: every token carries exp; aud and iss are checked when configured, for an HS256
// secret and for keys served by a JWKS endpoint (a real local HTTP server publishing an RS256 key).
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createVerifier, signToken } from '../../../src/services/auth/tokens.js'
import { TEST_JWT_SECRET } from '../../helpers/app.js'

const claims = { sub: '11111111-1111-4111-8111-111111111111', role: 'authenticated' as const }

async function refused(verify: (token: string) => Promise<unknown>, token: string): Promise<string> {
  try {
    await verify(token)
    return 'accepted'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

t.test('a token without exp is refused, even when well signed', async t => {
  const verify = createVerifier({ jwtSecret: TEST_JWT_SECRET })
  const forever = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .sign(new TextEncoder().encode(TEST_JWT_SECRET))
  t.equal(await refused(verify, forever), 'ERR_JWT_CLAIM_VALIDATION_FAILED')
  t.equal(await refused(verify, forever), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'and not remembered as verified')
  t.match(await verify(await signToken(TEST_JWT_SECRET, claims)), { sub: claims.sub, exp: Number })
})

t.test('JWT_AUDIENCE and JWT_ISSUER are enforced when set, ignored when not', async t => {
  const scoped = createVerifier({ jwtSecret: TEST_JWT_SECRET, audience: 'core314', issuer: 'https://auth.example.com' })
  const right = await signToken(TEST_JWT_SECRET, claims, '1h', {
    audience: 'core314',
    issuer: 'https://auth.example.com'
  })
  t.match(await scoped(right), { aud: 'core314', iss: 'https://auth.example.com' })
  t.equal(
    await refused(
      scoped,
      await signToken(TEST_JWT_SECRET, claims, '1h', { audience: 'other', issuer: 'https://auth.example.com' })
    ),
    'ERR_JWT_CLAIM_VALIDATION_FAILED',
    'wrong audience'
  )
  t.equal(
    await refused(
      scoped,
      await signToken(TEST_JWT_SECRET, claims, '1h', { audience: 'core314', issuer: 'https://evil.example.com' })
    ),
    'ERR_JWT_CLAIM_VALIDATION_FAILED',
    'wrong issuer'
  )
  t.equal(
    await refused(scoped, await signToken(TEST_JWT_SECRET, claims)),
    'ERR_JWT_CLAIM_VALIDATION_FAILED',
    'neither claim'
  )
  t.match(
    await createVerifier({ jwtSecret: TEST_JWT_SECRET })(await signToken(TEST_JWT_SECRET, claims)),
    { sub: claims.sub },
    'unset: not required'
  )
})

t.test('keys from a JWKS endpoint follow the same rules', async t => {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.close()
  })
  const verify = createVerifier({
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    audience: 'core314'
  })
  const sign = (audience: string | undefined, exp: boolean): Promise<string> => {
    const token = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt()
    if (exp) token.setExpirationTime('1h')
    if (audience !== undefined) token.setAudience(audience)
    return token.sign(privateKey)
  }
  t.match(await verify(await sign('core314', true)), { sub: claims.sub })
  t.equal(await refused(verify, await sign('core314', false)), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'no exp')
  t.equal(await refused(verify, await sign('other', true)), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'wrong audience')
})
