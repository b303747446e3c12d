/**
 * The WebSocket authorizer's part of the composition root, in its own module so its bundle holds no AWS SDK client:
 * it only verifies tokens against the issuer's keys (dependencies.ts names every client, and a bundle keeps whatever
 * its imported modules import). dependencies.ts re-exports it.
 */
import { createRemoteJWKSet } from 'jose';
import { envSchemas, parseEnv } from './env.ts';
import { createJwtVerifier, type TokenVerifier } from './jwt-verifier.ts';

export function authorizerDependencies(env: NodeJS.ProcessEnv = process.env, onReject?: (reason: string) => void): { verify: TokenVerifier } {
  const e = parseEnv(envSchemas.jwt, env);
  // createRemoteJWKSet caches keys and refetches on an unknown `kid` (key rotation), with a cooldown against floods.
  const keys = createRemoteJWKSet(new URL(e.JWKS_URL));
  return { verify: createJwtVerifier({ keys, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, ...(onReject ? { onReject } : {}) }) };
}
