import { describe, expect, it } from 'vitest';
import { ApiError, ApiUnreachableError, createApiClient, type FetchLike } from '../../client/api-client.ts';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with the next queued response. */
function fakeFetch(answers: (() => Response)[]): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init = {}) => {
    calls.push({
      url,
      method: init.method ?? 'GET',
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error('no answer queued');
    return next();
  };
  return { fetch, calls };
}

const ok = (body: unknown, status = 200) => () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const problem = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

describe('createApiClient', () => {
  it('sends the bearer token, encodes path segments and query values, and parses the JSON answer', async () => {
    const { fetch, calls } = fakeFetch([ok({ items: [], nextCursor: 'c2', total: 3, stored: 3 }), ok({ items: [], nextCursor: null })]);
    const api = createApiClient({ baseUrl: 'http://api.test/prod/', token: 'tok-1', fetch });

    const page = await api.trades('job/1 2', { cursor: 'a b', limit: 50 });
    await api.listJobs({ status: 'running' });

    expect(page).toEqual({ items: [], nextCursor: 'c2', total: 3, stored: 3 });
    expect(calls[0].url).toBe('http://api.test/prod/backtests/job%2F1%202/trades?cursor=a+b&limit=50');
    expect(calls[0].method).toBe('GET');
    expect(calls[0].headers.Authorization).toBe('Bearer tok-1');
    expect(calls[1].url).toBe('http://api.test/prod/backtests?status=running');
  });

  it('reads a token function on every request, so a refreshed token is used', async () => {
    let token = 'old';
    const { fetch, calls } = fakeFetch([ok({}), ok({})]);
    const api = createApiClient({ baseUrl: 'http://api.test', token: () => token, fetch });
    await api.me();
    token = 'new';
    await api.me();
    expect(calls.map((c) => c.headers.Authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('posts JSON bodies with the Idempotency-Key, and admin writes with their verbs', async () => {
    const { fetch, calls } = fakeFetch([ok({ jobId: 'j1' }, 202), ok({ credits: 15 }), ok({ tier: 'pro' })]);
    const api = createApiClient({ baseUrl: 'http://api.test', token: 't', fetch });

    const submitted = await api.submit({ strategyId: 'sma-cross', symbol: 'SYNTH-A' }, { idempotencyKey: 'k-1' });
    await api.adminCredits('user 1', 5);
    await api.adminTier('u2', 'pro');

    expect(submitted.jobId).toBe('j1');
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: 'http://api.test/backtests',
      headers: { 'Idempotency-Key': 'k-1', 'Content-Type': 'application/json' },
      body: { strategyId: 'sma-cross', symbol: 'SYNTH-A' },
    });
    expect(calls[1]).toMatchObject({ method: 'POST', url: 'http://api.test/admin/users/user%201/credits', body: { amount: 5 } });
    expect(calls[2]).toMatchObject({ method: 'PUT', url: 'http://api.test/admin/users/u2/tier', body: { tier: 'pro' } });
  });

  it('fetches the OpenAPI document without a token', async () => {
    const { fetch, calls } = fakeFetch([ok({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {} })]);
    const api = createApiClient({ baseUrl: 'http://api.test', token: 'secret', fetch });
    await api.openapi();
    expect(calls[0].url).toBe('http://api.test/openapi.json');
    expect(calls[0].headers.Authorization).toBeUndefined();
  });

  it('throws ApiError with the problem, its field errors and Retry-After', async () => {
    const body = {
      type: '/problems/validation-error',
      title: 'Invalid request',
      status: 400,
      detail: 'The request is not valid',
      errors: [{ path: 'symbol', message: 'unknown symbol NOPE; known: ORCL, NVDA' }],
    };
    const limited = { type: '/problems/rate-limited', title: 'Daily submission limit reached', status: 429, detail: 'resets at 2026-11-29T00:00:00Z' };
    const { fetch } = fakeFetch([problem(400, body), problem(429, limited, { 'Retry-After': '3600' })]);
    const api = createApiClient({ baseUrl: 'http://api.test', token: 't', fetch });

    const invalid = await api.submit({ strategyId: 'sma-cross', symbol: 'NOPE' }).catch((e: unknown) => e);
    const tooMany = await api.submit({ strategyId: 'sma-cross', symbol: 'ORCL' }).catch((e: unknown) => e);

    expect(invalid).toBeInstanceOf(ApiError);
    expect((invalid as ApiError).status).toBe(400);
    expect((invalid as ApiError).problem).toEqual(body);
    expect((invalid as ApiError).fieldErrors).toEqual([{ path: 'symbol', message: 'unknown symbol NOPE; known: ORCL, NVDA' }]);
    expect((tooMany as ApiError).retryAfterSeconds).toBe(3600);
    expect((tooMany as ApiError).message).toContain('resets at 2026-11-29T00:00:00Z');
  });

  it("turns API Gateway's own {message} answers and non-JSON error pages into a problem", async () => {
    const { fetch } = fakeFetch([
      () => new Response(JSON.stringify({ message: 'Unauthorized' }), { status: 401, statusText: 'Unauthorized' }),
      () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    ]);
    const api = createApiClient({ baseUrl: 'http://api.test', token: 't', fetch });

    const unauthorized = (await api.me().catch((e: unknown) => e)) as ApiError;
    const gateway = (await api.me().catch((e: unknown) => e)) as ApiError;

    expect(unauthorized.problem).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'Unauthorized' });
    expect(unauthorized.fieldErrors).toEqual([]);
    expect(gateway).toBeInstanceOf(ApiError);
    expect(gateway.problem).toMatchObject({ status: 502, title: 'Bad Gateway' });
  });

  it("explains AWS's bare 401 for an expired token with the token's own expiry, and other refusals from WWW-Authenticate", async () => {
    const jwt = (claims: object) => `h.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;
    const bare = () => new Response(JSON.stringify({ message: 'Unauthorized' }), { status: 401, headers: { 'WWW-Authenticate': 'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"' } });
    const { fetch } = fakeFetch([bare, bare]);
    const expired = createApiClient({ baseUrl: 'http://api.test', token: jwt({ sub: 'a', exp: 1_700_000_000 }), fetch });
    const wrongAudience = createApiClient({ baseUrl: 'http://api.test', token: jwt({ sub: 'a', exp: 4_000_000_000 }), fetch });

    const e1 = (await expired.me().catch((e: unknown) => e)) as ApiError;
    const e2 = (await wrongAudience.me().catch((e: unknown) => e)) as ApiError;

    expect(e1.problem.detail).toBe('The token expired at 2023-11-14T22:13:20Z (UTC); get a new one');
    expect(e2.problem.detail).toBe('The token was refused: the token does not have a valid audience');
  });

  it('throws ApiUnreachableError naming the URL when no answer comes', async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    const api = createApiClient({ baseUrl: 'http://127.0.0.1:9', token: 't', fetch });
    const error = await api.getJob('j1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as ApiUnreachableError).url).toBe('http://127.0.0.1:9/backtests/j1');
    expect((error as Error).message).toContain('http://127.0.0.1:9/backtests/j1');
  });

  it('reaches a real closed port through the global fetch as ApiUnreachableError', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const api = createApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
    await expect(api.me()).rejects.toBeInstanceOf(ApiUnreachableError);
  });
});
