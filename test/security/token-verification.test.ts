import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../lambdas/core/errors.ts';
import { createJwtVerifier, MAX_TOKEN_LENGTH } from '../../lambdas/handlers/shared/jwt-verifier.ts';
import { createAuthorizerHandler } from '../../lambdas/handlers/ws/authorizer-handler.ts';
import { wsAuthorizerEvent } from '../support/events/index.ts';
import { silentLogger } from '../handlers/silent-logger.ts';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'backtest-client';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

async function setup() {
  const good = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const rejections: string[] = [];
  const verify = createJwtVerifier({ keys: createLocalJWKSet({ keys: [jwk] }), issuer: ISSUER, audience: AUDIENCE, onReject: (r) => rejections.push(r) });
  const sign = (claims: Record<string, unknown>, o: { key?: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; iss?: string; aud?: string; exp?: number | string | null; kid?: string } = {}) => {
    let t = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' }).setIssuer(o.iss ?? ISSUER).setAudience(o.aud ?? AUDIENCE).setIssuedAt();
    if (o.exp !== null) t = t.setExpirationTime(o.exp ?? '5m');
    return t.sign(o.key ?? good.privateKey);
  };
  /** HS256 with the public key's PEM as the secret: the classic confusion attack against verifiers that trust `alg`. */
  const hs256WithPublicKey = async (claims: Record<string, unknown>) => {
    const pem = await exportSPKI(good.publicKey);
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode(pem));
  };
  const unsigned = (claims: Record<string, unknown>) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300, ...claims })}.`;
  return { verify, sign, other, hs256WithPublicKey, unsigned, rejections };
}

describe('JWT verification (HTTP local gateway and WebSocket authorizer share it)', () => {
  it('accepts a good token and reads the user, tier and admin from it', async () => {
    const s = await setup();

    expect(await s.verify(await s.sign({ sub: 'alice', tier: 'pro' }))).toEqual({ userId: 'alice', tier: 'pro', admin: false, tokenExpiresAt: expect.any(Number) });
  });

  it.each([
    ['expired', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { exp: nowSec() - 60 })],
    ['without an expiry', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { exp: null })],
    ['without a subject', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ tier: 'pro' })],
    ['from another issuer', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { iss: 'https://evil.example' })],
    ['for another audience', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { aud: 'someone-else' })],
    ['signed with another key under the same kid', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { key: s.other.privateKey })],
    ['naming an unknown kid', (s: Awaited<ReturnType<typeof setup>>) => s.sign({ sub: 'alice' }, { kid: 'k2' })],
    ['with alg none', async (s: Awaited<ReturnType<typeof setup>>) => s.unsigned({ sub: 'alice', tier: 'pro', admin: true })],
    ['HS256 keyed with the public key', (s: Awaited<ReturnType<typeof setup>>) => s.hs256WithPublicKey({ sub: 'alice', admin: true })],
    ['with a tampered payload', async (s: Awaited<ReturnType<typeof setup>>) => {
      const [h, , sig] = (await s.sign({ sub: 'alice', tier: 'free' })).split('.');
      return `${h}.${b64({ sub: 'alice', tier: 'pro', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300 })}.${sig}`;
    }],
    ['over the length limit', async () => `${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses a token %s with an UnauthorizedError that reveals nothing', async (_what, make) => {
    const s = await setup();
    const token = await make(s);

    const attempt = s.verify(token);

    await expect(attempt).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(attempt).rejects.toThrow(/^The token is not valid$/);
    expect(s.rejections).toHaveLength(1);
  });
});

describe('WebSocket $connect authorizer', () => {
  it('refuses no token, bad tokens and alg none with Unauthorized, and allows a good one with its claims as context', async () => {
    const s = await setup();
    const authorizer = createAuthorizerHandler({ verify: s.verify, logger: silentLogger });
    const bad = [undefined, '', s.unsigned({ sub: 'eve' }), await s.hs256WithPublicKey({ sub: 'eve' }), await s.sign({ sub: 'eve' }, { exp: nowSec() - 60 })];

    for (const token of bad) await expect(authorizer(wsAuthorizerEvent(token)), String(token)).rejects.toThrow('Unauthorized');
    const ok = await authorizer(wsAuthorizerEvent(await s.sign({ sub: 'alice', tier: 'basic', admin: 'true' })));

    expect(ok.context).toEqual({ userId: 'alice', tier: 'basic', admin: true, exp: expect.any(Number) });
  });

  it('an unknown tier claim is free, never a paid tier', async () => {
    const s = await setup();

    expect((await s.verify(await s.sign({ sub: 'alice', tier: 'PRO' }))).tier).toBe('free');
    expect((await s.verify(await s.sign({ sub: 'alice', tier: ['pro'] }))).tier).toBe('free');
  });
});
