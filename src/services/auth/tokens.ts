// Verifies and issues the Supabase-compatible JWTs callers present. HS256 with a shared secret,
// or any algorithm a JWKS endpoint publishes (keys fetched and cached by jose).
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose'

export interface TokenSettings {
  jwtSecret?: string | undefined
  jwksUrl?: string | undefined
}

export type Verifier = (token: string) => Promise<JWTPayload>

export function createVerifier (settings: TokenSettings): Verifier {
  if (settings.jwksUrl !== undefined) {
    const keys = createRemoteJWKSet(new URL(settings.jwksUrl))
    return async (token) => (await jwtVerify(token, keys)).payload
  }
  if (settings.jwtSecret === undefined) throw new Error('JWT_SECRET or JWKS_URL must be configured')
  const secret = new TextEncoder().encode(settings.jwtSecret)
  return async (token) => (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload
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
