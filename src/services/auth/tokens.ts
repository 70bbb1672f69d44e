// Verifies and issues the Supabase-compatible JWTs callers present. HS256 with a shared secret,
// or any algorithm a JWKS endpoint publishes (keys fetched and cached by jose).
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { LRUCache } from 'lru-cache'

export interface TokenSettings {
  jwtSecret?: string | undefined
  jwksUrl?: string | undefined
}

export type Verifier = (token: string) => Promise<JWTPayload>

// Verified tokens are remembered briefly: Core314 services send the same token on every call,
// and checking its signature each time is the largest fixed cost of a small request. An
// entry never outlives the token's own expiry.
const VERIFIED_TTL_MS = 60_000

function remembering (verify: Verifier): Verifier {
  const verified = new LRUCache<string, JWTPayload>({ max: 10_000, ttl: VERIFIED_TTL_MS })
  return async (token) => {
    const known = verified.get(token)
    if (known !== undefined && (known.exp === undefined || known.exp * 1000 > Date.now())) return known
    const payload = await verify(token)
    const ttl = payload.exp === undefined ? VERIFIED_TTL_MS : Math.min(VERIFIED_TTL_MS, payload.exp * 1000 - Date.now())
    if (ttl > 0) verified.set(token, payload, { ttl })
    return payload
  }
}

export function createVerifier (settings: TokenSettings): Verifier {
  if (settings.jwksUrl !== undefined) {
    const keys = createRemoteJWKSet(new URL(settings.jwksUrl))
    return remembering(async (token) => (await jwtVerify(token, keys)).payload)
  }
  if (settings.jwtSecret === undefined) throw new Error('JWT_SECRET or JWKS_URL must be configured')
  const secret = new TextEncoder().encode(settings.jwtSecret)
  return remembering(async (token) => (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload)
}

export interface TokenClaims {
  sub?: string
  role: 'authenticated' | 'service_role'
  app_metadata?: { organization_id?: string, role?: string }
}

export async function signToken (secret: string, claims: TokenClaims, expiresIn = '7d'): Promise<string> {
  return await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret))
}
