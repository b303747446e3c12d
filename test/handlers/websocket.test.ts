import { exportJWK, generateKeyPair, SignJWT, createLocalJWKSet, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createJwtVerifier } from '../../lambdas/handlers/shared/jwt-verifier.ts';
import { createAuthorizerHandler } from '../../lambdas/handlers/ws/authorizer-handler.ts';
import { createConnectHandler } from '../../lambdas/handlers/ws/connect-handler.ts';
import { createDisconnectHandler } from '../../lambdas/handlers/ws/disconnect-handler.ts';
import { createMessageHandler } from '../../lambdas/handlers/ws/message-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { wsAuthorizerEvent, wsEvent } from '../support/events/index.ts';
import { silentLogger } from './silent-logger.ts';

const ISSUER = 'backtest-local';
const AUDIENCE = 'backtest-local';

async function keys() {
  const good = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256' };
  const authorizer = createAuthorizerHandler({
    verify: createJwtVerifier({ keys: createLocalJWKSet({ keys: [jwk] }), issuer: ISSUER, audience: AUDIENCE }),
    logger: silentLogger,
  });
  const sign = (claims: Record<string, unknown>, opts: { key?: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; iss?: string; aud?: string; exp?: string | number } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? good.privateKey);
  return { authorizer, sign, otherKey: other.privateKey };
}

describe('WebSocket $connect authorizer', () => {
  it('allows a valid token with userId, tier and admin in the policy context', async () => {
    const { authorizer, sign } = await keys();
    const res = await authorizer(wsAuthorizerEvent(await sign({ sub: 'alice', tier: 'pro' })));
    expect(res.principalId).toBe('alice');
    expect(res.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    expect(res.context).toEqual({ userId: 'alice', tier: 'pro', admin: false, exp: expect.any(Number) });
  });

  it('refuses no token, an expired token, wrong issuer or audience, another key, and alg none', async () => {
    const { authorizer, sign, otherKey } = await keys();
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'eve', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString('base64url')}.`;
    const tokens = [
      undefined,
      await sign({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      await sign({ sub: 'alice' }, { iss: 'https://evil.example' }),
      await sign({ sub: 'alice' }, { aud: 'someone-else' }),
      await sign({ sub: 'alice' }, { key: otherKey }),
      none,
      'garbage',
    ];
    for (const token of tokens) await expect(authorizer(wsAuthorizerEvent(token)), String(token)).rejects.toThrow('Unauthorized');
  });
});

describe('WebSocket route handlers', () => {
  it('connect stores the user, subscribe answers with a snapshot, disconnect forgets everything', async () => {
    const w = world();
    const deps = { ...w, logger: silentLogger };
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    const auth = { userId: 'alice', tier: 'pro', admin: false };
    expect(await createConnectHandler(deps)(wsEvent({ routeKey: '$connect', connectionId: 'c1', authorizer: auth }))).toEqual({ statusCode: 200 });
    expect(await w.connections.getConnection('c1')).toEqual({ userId: 'alice' });
    const message = createMessageHandler(deps);
    await message(wsEvent({ routeKey: 'subscribe', connectionId: 'c1', authorizer: auth, body: JSON.stringify({ action: 'subscribe', jobId }) }));
    expect(w.push.to('c1')[0]).toMatchObject({ type: 'snapshot', job: { jobId, status: 'queued' } });
    await createDisconnectHandler(deps)(wsEvent({ routeKey: '$disconnect', connectionId: 'c1' }));
    expect(await w.connections.subscribers(jobId)).toEqual([]);
  });

  it("answers another user's job with not_found and garbage with bad_request", async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    const message = createMessageHandler({ ...w, logger: silentLogger });
    const auth = { userId: 'mallory', tier: 'free', admin: 'false' };
    await message(wsEvent({ routeKey: 'subscribe', connectionId: 'm1', authorizer: auth, body: JSON.stringify({ action: 'subscribe', jobId }) }));
    await message(wsEvent({ routeKey: '$default', connectionId: 'm1', authorizer: auth, body: '{"action":' }));
    expect(w.push.to('m1')).toEqual([
      { type: 'error', code: 'not_found', jobId },
      { type: 'error', code: 'bad_request', message: 'The message is not valid JSON' },
    ]);
  });

  it('refuses $connect without authorizer context', async () => {
    const w = world();
    expect(await createConnectHandler({ ...w, logger: silentLogger })(wsEvent({ routeKey: '$connect', connectionId: 'x' }))).toEqual({ statusCode: 401 });
    expect(w.connections.connectionCount()).toBe(0);
  });
});
