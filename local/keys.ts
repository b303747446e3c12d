import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, SignJWT, jwtVerify, createLocalJWKSet } from 'jose';
import type { JSONWebKeySet, JWTPayload, CryptoKey } from 'jose';
import { isTier, type Tier } from '../lambdas/core/tiers.ts';

/** Issuer and audience of every token the local stack signs and accepts (docs/wiring.md). */
export const LOCAL_ISSUER = 'backtest-local';
export const LOCAL_AUDIENCE = 'backtest-local';
const ALG = 'RS256';

/** Where the signing key lives unless told otherwise: git-ignored, kept across runs so old tokens stay valid. */
export const DEFAULT_KEY_DIR = join(import.meta.dirname, '..', '.local', 'keys');

export interface LocalKeys {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The JWKS the HTTP gateway serves at `/.well-known/jwks.json`. */
  readonly jwks: JSONWebKeySet;
}

export class TokenOptionsError extends Error {
  override name = 'TokenOptionsError';
}

/**
 * Loads the local RS256 key pair from `dir`, generating it on first use. The key id is derived from the
 * public key so a regenerated key never shares a `kid` with tokens signed by the old one.
 */
export async function loadOrCreateKeys(dir: string = DEFAULT_KEY_DIR): Promise<LocalKeys> {
  const privatePath = join(dir, 'private.pem');
  const publicPath = join(dir, 'public.pem');
  if (!existsSync(privatePath) || !existsSync(publicPath)) {
    mkdirSync(dir, { recursive: true });
    const pair = await generateKeyPair(ALG, { extractable: true });
    // Write to temporary names then rename, so two processes starting at once never read a half-written key.
    const suffix = `.${process.pid}.tmp`;
    writeFileSync(privatePath + suffix, await exportPKCS8(pair.privateKey), { mode: 0o600 });
    writeFileSync(publicPath + suffix, await exportSPKI(pair.publicKey));
    if (!existsSync(privatePath) || !existsSync(publicPath)) {
      renameSync(privatePath + suffix, privatePath);
      renameSync(publicPath + suffix, publicPath);
    }
  }
  const privatePem = readFileSync(privatePath, 'utf8');
  const publicPem = readFileSync(publicPath, 'utf8');
  const privateKey = await importPKCS8(privatePem, ALG);
  const publicKey = await importSPKI(publicPem, ALG, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = `local-${Buffer.from(jwk.n ?? '', 'base64url').subarray(0, 6).toString('hex')}`;
  return { kid, privateKey, publicKey, jwks: { keys: [{ ...jwk, kid, alg: ALG, use: 'sig' }] } };
}

export interface TokenOptions {
  userId: string;
  tier?: Tier;
  admin?: boolean;
  /** Lifetime in seconds. @default 3600 */
  ttlSeconds?: number;
  /** Extra claims, e.g. to build deliberately odd tokens in tests. */
  extraClaims?: JWTPayload;
}

/** Signs a token the local HTTP JWT check and the production WebSocket authorizer both accept. */
export async function signToken(keys: LocalKeys, options: TokenOptions): Promise<string> {
  if (options.userId.trim().length === 0) throw new TokenOptionsError('user: must not be empty');
  if (options.tier !== undefined && !isTier(options.tier)) throw new TokenOptionsError(`tier: must be free, basic or pro, got ${String(options.tier)}`);
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new TokenOptionsError(`ttl: must be a positive whole number of seconds, got ${ttl}`);
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: options.userId,
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    iat: now,
    exp: now + ttl,
    tier: options.tier ?? 'free',
    admin: options.admin ?? false,
    ...options.extraClaims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: ALG, kid: keys.kid, typ: 'JWT' }).sign(keys.privateKey);
}

/**
 * What the HTTP API's JWT authorizer does: signature, issuer, audience, expiry. Throws on any failure. API Gateway
 * requires `exp` (a token without one never expires), so it is required here too, as the WebSocket authorizer does.
 */
export async function verifyToken(jwks: JSONWebKeySet, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: [ALG], requiredClaims: ['exp'] });
  return payload;
}
