import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { LocalStack } from '../../local/stack.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/keys.ts';
import { startFaultStack } from './support/fault-run.ts';
import { ApiClient, SocketClient } from './support/clients.ts';
import { clientProblemOf, rawRequest } from './support/raw-http.ts';
import { SINGLE_RUN } from './support/requests.ts';

// Tokens an attacker can make, over real HTTP and the real WebSocket upgrade: each is a 401 problem on every route
// (before any handler runs) and a refused upgrade, and none leaves a trace (no account for the claimed user, bob's
// job untouched). A valid token of another user gets 404 / not_found for bob's job, never the job.
let stack: LocalStack;
let bob: ApiClient;
let bobJob: string;
let admin: ApiClient;
const MALLORY = 'mallory-auth';

beforeAll(async () => {
  stack = await startFaultStack('hostileauth', { extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'CRITICAL' } });
  bob = new ApiClient(stack.httpUrl, await stack.token({ userId: 'bob-auth', tier: 'basic' }));
  admin = new ApiClient(stack.httpUrl, await stack.token({ userId: 'ops-auth', admin: true }));
  bobJob = (await bob.submit(SINGLE_RUN)).body.jobId;
  await bob.waitFor(bobJob, (j) => j.status === 'succeeded');
});

afterAll(async () => {
  await stack?.stop();
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const claims = (extra: JWTPayload = {}): JWTPayload => ({ sub: MALLORY, iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, iat: now(), exp: now() + 3600, tier: 'pro', admin: true, ...extra });

/** Signed with the stack's own key, so only the claims are wrong. */
async function ours(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: stack.keys.kid, typ: 'JWT' }).sign(stack.keys.privateKey);
}

async function forgedTokens(): Promise<Record<string, string | undefined>> {
  const other = await generateKeyPair('RS256');
  const otherEc = await generateKeyPair('ES256');
  const valid = await ours(claims());
  const [header, , signature] = valid.split('.');
  const { exp: _exp, ...withoutExp } = claims();
  // The public key in PEM, as an HMAC secret: the classic algorithm-confusion forgery.
  const publicPem = await exportSPKI(stack.keys.publicKey);
  return {
    'no token': undefined,
    'not a JWT': 'not-a-token',
    'empty signature': `${header}.${b64(claims())}.`,
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
    'alg None (case)': `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims())}.`,
    'HS256 with the public key as secret': await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: stack.keys.kid }).sign(new TextEncoder().encode(publicPem)),
    'another RSA key, our kid': await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: stack.keys.kid }).sign(other.privateKey),
    'another RSA key, its own kid': await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'attacker' }).sign(other.privateKey),
    'an EC key (allowed alg, unknown key)': await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: stack.keys.kid }).sign(otherEc.privateKey),
    'payload changed after signing': `${header}.${b64(claims({ sub: 'bob-auth' }))}.${signature}`,
    expired: await ours(claims({ iat: now() - 7200, exp: now() - 120 })),
    'not yet valid': await ours(claims({ nbf: now() + 3600 })),
    'wrong issuer': await ours(claims({ iss: 'https://evil.example' })),
    'wrong audience': await ours(claims({ aud: 'another-app' })),
    'no expiry': await ours(withoutExp),
    'large token from another key': await new SignJWT(claims({ pad: 'x'.repeat(6_000) })).setProtectedHeader({ alg: 'RS256', kid: stack.keys.kid }).sign(other.privateKey),
    // Over the 16 KB a request head may have: refused before anyone looks at it (431), like API Gateway's 10 KB cap.
    'oversized token': await ours(claims({ pad: 'x'.repeat(20_000) })),
  };
}

describe('forged, expired and misdirected tokens', () => {
  it('get 401 on every HTTP route and a refused WebSocket upgrade, and leave no trace', { timeout: 120_000 }, async () => {
    const tokens = await forgedTokens();
    const requests = [
      { method: 'GET', path: '/backtests' },
      { method: 'POST', path: '/backtests', body: JSON.stringify(SINGLE_RUN), headers: { 'content-type': 'application/json' } },
      { method: 'GET', path: `/backtests/${bobJob}` },
      { method: 'DELETE', path: `/backtests/${bobJob}` },
      { method: 'GET', path: '/admin/queues' },
      { method: 'POST', path: `/admin/users/${MALLORY}/credits`, body: '{"amount":1000}', headers: { 'content-type': 'application/json' } },
    ];
    const accepted: string[] = [];
    for (const [what, token] of Object.entries(tokens)) {
      for (const req of requests) {
        const res = await rawRequest(stack.httpUrl, { ...req, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...req.headers } });
        const refused = what === 'oversized token' ? [401, 431] : [401];
        if (!refused.includes(res.status)) accepted.push(`${what}: ${req.method} ${req.path} -> ${res.status}`);
        else expect(clientProblemOf(res).status).toBe(res.status);
      }
      const upgrade = await SocketClient.open(stack.wsUrl, token).then(
        async (socket) => {
          await socket.close();
          return 'open';
        },
        (error: Error) => error.message,
      );
      if (upgrade !== 'status 401' && !(what === 'oversized token' && upgrade === 'status 431')) accepted.push(`${what}: WebSocket upgrade -> ${upgrade}`);
    }
    expect(accepted).toEqual([]);

    // Other ways to present a token that is itself valid, but not as a bearer token in the Authorization header.
    const valid = await stack.token({ userId: MALLORY, tier: 'pro' });
    const presentations: Record<string, string>[] = [{ authorization: valid }, { authorization: `Basic ${valid}` }, { authorization: `Bearer ${valid} extra` }, { 'x-authorization': `Bearer ${valid}` }, { cookie: `token=${valid}` }];
    for (const headers of presentations) {
      expect(clientProblemOf(await rawRequest(stack.httpUrl, { method: 'GET', path: '/backtests', headers })).status, JSON.stringify(Object.keys(headers))).toBe(401);
    }

    // No trace: no account for the claimed user, bob's job as it was, nothing queued.
    expect((await admin.call('GET', `/admin/users/${MALLORY}`)).body).toMatchObject({ hasAccount: false, submissionsToday: 0 });
    expect((await bob.get(bobJob)).body).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await bob.call('GET', '/backtests')).body.items).toHaveLength(1);
    const queues = (await admin.call('GET', '/admin/queues')).body.tiers as { waiting: number; inFlight: number }[];
    expect(queues.every((t) => t.waiting === 0 && t.inFlight === 0)).toBe(true);
  });

  it("shows a valid user nothing of another user's job: 404 over HTTP, not_found on the WebSocket", async () => {
    const token = await stack.token({ userId: MALLORY, tier: 'pro' });
    const mallory = new ApiClient(stack.httpUrl, token);
    for (const method of ['GET', 'DELETE']) {
      const res = await rawRequest(stack.httpUrl, { method, path: `/backtests/${bobJob}`, headers: { authorization: `Bearer ${token}` } });
      expect(clientProblemOf(res).status).toBe(404);
      expect(res.text).not.toContain('bob-auth');
    }
    expect((await mallory.call('GET', '/backtests')).body.items).toEqual([]);
    const socket = await SocketClient.open(stack.wsUrl, token);
    try {
      socket.send({ action: 'subscribe', jobId: bobJob });
      expect(await socket.waitFor((m) => m.type === 'error')).toEqual({ type: 'error', code: 'not_found', jobId: bobJob });
    } finally {
      await socket.close();
    }
    expect((await bob.get(bobJob)).body).toMatchObject({ status: 'succeeded' });
  });
});
