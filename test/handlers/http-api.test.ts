import { describe, expect, it } from 'vitest';
import { createAdminQueuesHandler } from '../../lambdas/handlers/api/admin-queues-handler.ts';
import { createCancelJobHandler } from '../../lambdas/handlers/api/cancel-job-handler.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createListJobsHandler } from '../../lambdas/handlers/api/list-jobs-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

function apis(w: ReturnType<typeof world>) {
  return {
    submit: createSubmitHandler({ ...w, logger: silentLogger, metrics: silentMetrics() }),
    get: createGetJobHandler({ ...w, logger: silentLogger }),
    list: createListJobsHandler({ ...w, logger: silentLogger }),
    cancel: createCancelJobHandler({ ...w, logger: silentLogger }),
    admin: createAdminQueuesHandler({ ...w, logger: silentLogger }),
  };
}

const ctx = lambdaContext();
const bodyOf = (res: HttpResult) => JSON.parse(res.body ?? 'null');

function expectProblem(res: HttpResult, status: number): Record<string, unknown> {
  expect(res.statusCode).toBe(status);
  expect(res.headers?.['Content-Type']).toBe('application/problem+json');
  const problem = bodyOf(res);
  expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  return problem;
}

describe('HTTP API handlers', () => {
  it('POST /backtests answers 202 with the queued job and a Location; the tier comes from the token', async () => {
    const w = world();
    const api = apis(w);
    const res = await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('alice', 'pro') }), ctx);
    expect(res.statusCode).toBe(202);
    expect(res.headers?.Location).toBe('/backtests/job-0001');
    expect(bodyOf(res)).toMatchObject({ jobId: 'job-0001', status: 'queued', tier: 'pro', combinations: 1 });
    expect(w.queue.messages.pro).toHaveLength(1);
  });

  it('replays with the same Idempotency-Key and answers 422 for a different body', async () => {
    const w = world();
    const api = apis(w);
    const send = (body: unknown) =>
      api.submit(httpEvent({ method: 'POST', route: '/backtests', body, headers: { 'Idempotency-Key': 'abc' }, claims: claimsFor('alice', 'pro') }), ctx);
    const first = await send(submitBody());
    const again = await send(submitBody());
    expect(bodyOf(again).jobId).toBe(bodyOf(first).jobId);
    expect(again.headers?.['Idempotent-Replayed']).toBe('true');
    expectProblem(await send(submitBody({ symbol: 'SYNTH-B' })), 422);
  });

  it('maps bad input to 400 with field paths, malformed JSON to 400, oversized bodies to 413', async () => {
    const w = world();
    const api = apis(w);
    const claims = claimsFor('alice');
    const invalid = expectProblem(await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody({ params: { fast: 'ten' } }), claims }), ctx), 400);
    expect(invalid.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'params.fast' })]));
    expectProblem(await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: '{"strategyId":', claims }), ctx), 400);
    expectProblem(await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: JSON.stringify({ pad: 'x'.repeat(70_000) }), claims }), ctx), 413);
    expect(w.jobs.count()).toBe(0);
  });

  it('answers the 4th free submission of the day with 429, Retry-After and a problem body', async () => {
    const w = world();
    const api = apis(w);
    const send = () => api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('free-user') }), ctx);
    for (let i = 0; i < 3; i++) expect((await send()).statusCode).toBe(202);
    const res = await send();
    expectProblem(res, 429);
    expect(res.headers?.['Retry-After']).toBe(String(12 * 3600));
  });

  it('answers 402 when credits run out and 503 (refunded) when the queue is down', async () => {
    const w = world();
    const api = apis(w);
    w.jobs.setCredits('broke', 0);
    expectProblem(await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('broke', 'pro') }), ctx), 402);
    w.queue.failSends = 1;
    const res = await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('alice', 'pro') }), ctx);
    expectProblem(res, 503);
    expect(w.jobs.count('failed')).toBe(1);
  });

  it('answers 401 without a subject claim', async () => {
    const w = world();
    const res = await apis(w).list(httpEvent({ method: 'GET', route: '/backtests', claims: {} }), ctx);
    expectProblem(res, 401);
  });

  it("GET /backtests/{jobId} is 200 for the owner and 404 for anyone else; DELETE cancels with 202 then 409", async () => {
    const w = world();
    const api = apis(w);
    await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('alice', 'pro') }), ctx);
    const path = { jobId: 'job-0001' };
    const own = await api.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: path, claims: claimsFor('alice', 'pro') }), ctx);
    expect(own.statusCode).toBe(200);
    expect(bodyOf(own)).toMatchObject({ jobId: 'job-0001', status: 'queued', request: { symbol: 'SYNTH-A' } });
    expectProblem(await api.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: path, claims: claimsFor('mallory', 'pro') }), ctx), 404);
    expectProblem(await api.cancel(httpEvent({ method: 'DELETE', route: '/backtests/{jobId}', pathParameters: path, claims: claimsFor('mallory', 'pro') }), ctx), 404);
    const cancelled = await api.cancel(httpEvent({ method: 'DELETE', route: '/backtests/{jobId}', pathParameters: path, claims: claimsFor('alice', 'pro') }), ctx);
    expect(cancelled.statusCode).toBe(202);
    expect(bodyOf(cancelled).status).toBe('cancelled');
    expectProblem(await api.cancel(httpEvent({ method: 'DELETE', route: '/backtests/{jobId}', pathParameters: path, claims: claimsFor('alice', 'pro') }), ctx), 409);
  });

  it('GET /backtests lists newest first and names a bad query parameter', async () => {
    const w = world();
    const api = apis(w);
    for (let i = 0; i < 3; i++) {
      await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('bob', 'basic') }), ctx);
      w.clock.advance(1000);
    }
    const res = await api.list(httpEvent({ method: 'GET', route: '/backtests', query: { limit: '2' }, claims: claimsFor('bob', 'basic') }), ctx);
    expect(res.statusCode).toBe(200);
    const page = bodyOf(res);
    expect(page.items.map((j: { jobId: string }) => j.jobId)).toEqual(['job-0003', 'job-0002']);
    expect(typeof page.nextCursor).toBe('string');
    const bad = expectProblem(await api.list(httpEvent({ method: 'GET', route: '/backtests', query: { status: 'nope' }, claims: claimsFor('bob') }), ctx), 400);
    expect(bad.errors).toEqual([expect.objectContaining({ path: 'status' })]);
  });

  it('GET /admin/queues is 200 for admins and 403 for everyone else', async () => {
    const w = world();
    const api = apis(w);
    const ok = await api.admin(httpEvent({ method: 'GET', route: '/admin/queues', claims: { sub: 'root', 'cognito:groups': '[admin]' } }), ctx);
    expect(ok.statusCode).toBe(200);
    expect(bodyOf(ok).tiers.map((t: { tier: string; maxConcurrency: number }) => [t.tier, t.maxConcurrency])).toEqual([['free', 5], ['basic', 20], ['pro', 50]]);
    expectProblem(await api.admin(httpEvent({ method: 'GET', route: '/admin/queues', claims: claimsFor('alice', 'pro') }), ctx), 403);
  });

  it('turns an unexpected failure into a generic 500 that reveals nothing', async () => {
    const w = world();
    w.jobs.failNextCreate = new Error('AccessDeniedException: arn:aws:dynamodb:us-east-1:123456789012:table/Jobs-secret');
    const res = await apis(w).submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('alice') }), ctx);
    const problem = expectProblem(res, 500);
    expect(JSON.stringify(problem)).not.toContain('arn:aws');
    expect(JSON.stringify(problem)).not.toContain('AccessDenied');
  });
});
