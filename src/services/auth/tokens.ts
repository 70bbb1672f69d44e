// Verifies and issues the Supabase-compatible JWTs callers present. HS256 with a shared secret,
// or any algorithm a JWKS endpoint publishes (keys fetched and cached by jose).
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { LRUCache } from 'lru-cache'

export interface TokenSettings {
  jwtSecret?: string | undefined
  jwksUrl?: string | undefined
  /** When set, a token's `aud` must name it. */
  audience?: string | undefined
  /** When set, a token's `iss` must be it. */
  issuer?: string | undefined
}

export type Verifier = ((token: string) => Promise<JWTPayload>) & {
  /** Whether this token was verified recently and has not expired: accepting it costs nothing. */
  remembers: (token: string) => boolean
}

// Verified tokens are remembered briefly: Core314 services send the same token on every call,
// and checking its signature each time is the largest fixed cost of a small request. An
// entry never outlives the token's own expiry.
const VERIFIED_TTL_MS = 60_000

function remembering(verify: (token: string) => Promise<JWTPayload>): Verifier {
  const verified = new LRUCache<string, JWTPayload>({ max: 10_000, ttl: VERIFIED_TTL_MS })
  const known = (token: string): JWTPayload | undefined => {
    const payload = verified.get(token)
    return payload?.exp !== undefined && payload.exp * 1000 > Date.now() ? payload : undefined
  }
  return Object.assign(
    async (token: string) => {
      const remembered = known(token)
      if (remembered !== undefined) return remembered
      const payload = await verify(token)
      const ttl = Math.min(VERIFIED_TTL_MS, (payload.exp ?? 0) * 1000 - Date.now())
      if (ttl > 0) verified.set(token, payload, { ttl })
      return payload
    },
    { remembers: (token: string) => known(token) !== undefined }
  )
}

// A token without `exp` would be valid forever: one leaked copy could never be revoked by
// waiting, so every token must carry one.
function claimRules(settings: TokenSettings): JWTVerifyOptions {
  return {
    requiredClaims: ['exp'],
    ...(settings.audience === undefined ? {} : { audience: settings.audience }),
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer })
  }
}

export function createVerifier(settings: TokenSettings): Verifier {
  const rules = claimRules(settings)
  if (settings.jwksUrl !== undefined) {
    const keys = createRemoteJWKSet(new URL(settings.jwksUrl))
    return remembering(async token => (await jwtVerify(token, keys, rules)).payload)
  }
  if (settings.jwtSecret === undefined) throw new Error('JWT_SECRET or JWKS_URL must be configured')
  const secret = new TextEncoder().encode(settings.jwtSecret)
  return remembering(async token => (await jwtVerify(token, secret, { ...rules, algorithms: ['HS256'] })).payload)
}

export interface TokenClaims {
  sub?: string
  role: 'authenticated' | 'service_role'
  app_metadata?: { organization_id?: string; role?: string }
}

export async function signToken(
  secret: string,
  claims: TokenClaims,
  expiresIn = '7d',
  scope: Pick<TokenSettings, 'audience' | 'issuer'> = {}
): Promise<string> {
  const token = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
  if (scope.audience !== undefined) token.setAudience(scope.audience)
  if (scope.issuer !== undefined) token.setIssuer(scope.issuer)
  return await token.sign(new TextEncoder().encode(secret))
}
