import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS_PER_USER } from '../../lambdas/core/use-cases/websocket-session.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createJwtVerifier } from '../../lambdas/handlers/shared/jwt-verifier.ts';
import { createAuthorizerHandler } from '../../lambdas/handlers/ws/authorizer-handler.ts';
import { createConnectHandler } from '../../lambdas/handlers/ws/connect-handler.ts';
import { createMessageHandler } from '../../lambdas/handlers/ws/message-handler.ts';
import { submitBody, world } from '../core/support.ts';
import { httpEvent, lambdaContext, wsAuthorizerEvent, wsEvent } from '../support/events/index.ts';
import { silentLogger } from './silent-logger.ts';

/** Issue 11 through the handlers: what a client actually receives. */

describe('access tokens: the same answer on both APIs (item 6)', () => {
  it('the HTTP API answers 401 naming the ID token; the WebSocket authorizer refuses the upgrade', async () => {
    const w = world();
    const submit = createSubmitHandler({ ...w, logger: silentLogger });
    const accessClaims = { sub: 'user-1', token_use: 'access', client_id: 'client', scope: 'openid' };

    const http = await submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: accessClaims }), lambdaContext());

    expect(http.statusCode).toBe(401);
    expect(JSON.parse(String(http.body)).detail).toContain('ID token');
    expect(w.jobs.snapshot().jobs.size).toBe(0);

    const key = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256' };
    const verify = createJwtVerifier({ keys: createLocalJWKSet({ keys: [jwk] }), issuer: 'https://issuer.example', audience: 'client' });
    // An access token that even carries an aud: refused for what it is, not for a missing claim.
    const token = await new SignJWT(accessClaims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://issuer.example').setAudience('client').setExpirationTime('5m').sign(key.privateKey);
    await expect(verify(token)).rejects.toThrow(/ID token/);
    await expect(createAuthorizerHandler({ verify, logger: silentLogger })(wsAuthorizerEvent(token))).rejects.toThrow('Unauthorized');
  });
});

describe('WebSocket handlers (item 3)', () => {
  const exp = Math.floor(Date.parse('2024-03-01T12:00:00Z') / 1000) + 3600;
  const context = (userId: string) => ({ userId, tier: 'free', admin: false, exp });

  it(`$connect answers 429 with a sentence for the user's connection number ${MAX_CONNECTIONS_PER_USER + 1}`, async () => {
    const w = world();
    const connect = createConnectHandler({ ...w, logger: silentLogger });
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i++) {
      expect((await connect(wsEvent({ routeKey: '$connect', connectionId: `c${i}`, authorizer: context('alice') }))).statusCode).toBe(200);
    }

    const refused = await connect(wsEvent({ routeKey: '$connect', connectionId: 'extra', authorizer: context('alice') }));

    expect(refused).toEqual({ statusCode: 429, body: expect.stringContaining('Too many open connections') });
    expect(await w.connections.getConnection('c0')).toEqual({ userId: 'alice', tokenExpiresAt: exp });
  });

  it('keeps the token expiry from the authorizer context, and refuses a subscribe after it (stored expiry too)', async () => {
    const w = world();
    const connect = createConnectHandler({ ...w, logger: silentLogger });
    const message = createMessageHandler({ ...w, logger: silentLogger });
    await connect(wsEvent({ routeKey: '$connect', connectionId: 'conn', authorizer: context('alice') }));
    w.clock.advance(3601_000);

    // No authorizer context on this route (as API Gateway may omit it): the stored expiry applies.
    await message(wsEvent({ routeKey: 'subscribe', connectionId: 'conn', body: JSON.stringify({ action: 'subscribe', jobId: 'any' }) }));

    expect(w.push.to('conn')).toEqual([expect.objectContaining({ type: 'error', code: 'token_expired' })]);
    expect(await w.connections.getConnection('conn')).toBeUndefined();
  });
});
