import { Logger } from '@aws-lambda-powertools/logger';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createJwtVerifier } from '../../lambdas/handlers/shared/jwt-verifier.ts';
import { createAuthorizerHandler } from '../../lambdas/handlers/ws/authorizer-handler.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext, wsAuthorizerEvent } from '../support/events/index.ts';

/** Everything written to stdout and stderr while a test runs: where Lambda's logs go. */
let captured: string[] = [];

beforeEach(() => {
  captured = [];
  // Ask Powertools to log whole events, as someone debugging might: handlers must still keep tokens out.
  vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const debugLogger = () => new Logger({ serviceName: 'security-test', logLevel: 'DEBUG' });

async function tokens() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const sign = (exp: string | number) =>
    new SignJWT({ sub: 'alice', tier: 'pro' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('iss').setAudience('aud').setExpirationTime(exp).sign(privateKey);
  return { keys, good: await sign('5m'), expired: await sign(Math.floor(Date.now() / 1000) - 600) };
}

describe('logs never carry tokens', () => {
  it('HTTP handlers: accepted, refused and failed requests with a bearer token in the headers', async () => {
    const { good } = await tokens();
    const w = world();
    const logger = debugLogger();
    const submit = createSubmitHandler({ ...w, logger });
    const get = createGetJobHandler({ ...w, logger });
    const headers = { authorization: `Bearer ${good}` };

    await submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), headers, claims: claimsFor('alice', 'pro') }), lambdaContext());
    await submit(httpEvent({ method: 'POST', route: '/backtests', body: '{"bad":', headers, claims: claimsFor('alice', 'pro') }), lambdaContext());
    await get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: { jobId: 'nope' }, headers, claims: claimsFor('alice') }), lambdaContext());
    w.jobs.failNextCreate = new Error('table exploded');
    await submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), headers, claims: claimsFor('alice', 'pro') }), lambdaContext());

    const logs = captured.join('');
    expect(logs).toContain('job submitted');
    expect(logs).toContain('request refused');
    expect(logs).toContain('request failed');
    expect(logs).not.toContain(good);
    expect(logs).not.toContain(good.split('.')[2]);
  });

  it('WebSocket authorizer: a good and an expired token in the query string', async () => {
    const { keys, good, expired } = await tokens();
    const rejections: string[] = [];
    const logger = debugLogger();
    const authorizer = createAuthorizerHandler({
      verify: createJwtVerifier({ keys, issuer: 'iss', audience: 'aud', onReject: (reason) => logger.info('token rejected', { reason }) }),
      logger,
    });

    await authorizer(wsAuthorizerEvent(good));
    await authorizer(wsAuthorizerEvent(expired)).catch((e: Error) => rejections.push(e.message));

    const logs = captured.join('');
    expect(rejections).toEqual(['Unauthorized']);
    expect(logs).toContain('token rejected');
    expect(logs).toContain('ERR_JWT_EXPIRED');
    expect(logs).not.toContain(good);
    expect(logs).not.toContain(expired);
  });
});
