import { describe, expect, it } from 'vitest';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createCancelJobHandler } from '../../lambdas/handlers/api/cancel-job-handler.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createListJobsHandler } from '../../lambdas/handlers/api/list-jobs-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createMessageHandler } from '../../lambdas/handlers/ws/message-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { silentLogger } from '../handlers/silent-logger.ts';

const ctx = lambdaContext();

async function aliceHasAJob() {
  const w = world();
  const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
  const deps = { ...w, logger: silentLogger };
  return { w, jobId, get: createGetJobHandler(deps), list: createListJobsHandler(deps), cancel: createCancelJobHandler(deps), submit: createSubmitHandler(deps), message: createMessageHandler(deps) };
}

describe("another user's job", () => {
  it('GET is 404 (not 403), with the same body as a job that does not exist', async () => {
    const t = await aliceHasAJob();

    const foreign = await t.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: { jobId: t.jobId }, claims: claimsFor('mallory', 'pro') }), ctx);
    const missing = await t.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: { jobId: 'job-9999' }, claims: claimsFor('mallory', 'pro') }), ctx);

    expect(foreign.statusCode).toBe(404);
    expect(JSON.parse(foreign.body ?? '{}')).toMatchObject({ type: '/problems/not-found', status: 404 });
    // The same answer, byte for byte once the id each asked for is set aside: nothing tells that the job exists.
    const withoutId = (body: string | undefined, jobId: string) => (body ?? '').replaceAll(jobId, '<jobId>');
    expect(withoutId(foreign.body, t.jobId)).toBe(withoutId(missing.body, 'job-9999'));
    expect(foreign.headers).toEqual(missing.headers);
    expect(foreign.body).not.toContain('alice');
  });

  it('DELETE is 404 and leaves the job queued and the owner charged', async () => {
    const t = await aliceHasAJob();
    const credits = t.w.jobs.credits('alice');

    const res = await t.cancel(httpEvent({ method: 'DELETE', route: '/backtests/{jobId}', pathParameters: { jobId: t.jobId }, claims: claimsFor('mallory') }), ctx);

    expect(res.statusCode).toBe(404);
    expect((await t.w.jobs.get(t.jobId))?.status).toBe('queued');
    expect(t.w.jobs.credits('alice')).toBe(credits);
  });

  it("list shows only the caller's jobs, and a cursor from someone else's list cannot reach theirs", async () => {
    const t = await aliceHasAJob();
    await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, t.w);
    const alicePage = JSON.parse((await t.list(httpEvent({ method: 'GET', route: '/backtests', query: { limit: '1' }, claims: claimsFor('alice', 'pro') }), ctx)).body ?? '{}');

    const mallory = await t.list(httpEvent({ method: 'GET', route: '/backtests', claims: claimsFor('mallory') }), ctx);
    const withCursor = await t.list(httpEvent({ method: 'GET', route: '/backtests', query: { cursor: alicePage.nextCursor }, claims: claimsFor('mallory') }), ctx);

    expect(alicePage.items).toHaveLength(1);
    expect(JSON.parse(mallory.body ?? '{}').items).toEqual([]);
    expect(JSON.parse(withCursor.body ?? '{}').items).toEqual([]);
  });

  it('WebSocket subscribe answers not_found and subscribes nothing; an admin may watch it', async () => {
    const t = await aliceHasAJob();
    const frame = JSON.stringify({ action: 'subscribe', jobId: t.jobId });

    await t.message({ ...wsFrame('m1', 'mallory', false, frame) });
    await t.message({ ...wsFrame('root1', 'root', true, frame) });

    expect(t.w.push.to('m1')).toEqual([{ type: 'error', code: 'not_found', jobId: t.jobId }]);
    expect(await t.w.connections.subscribers(t.jobId)).toEqual(['root1']);
  });

  it('a connection whose authorizer context is missing falls back to its stored user, never to admin or a paid tier', async () => {
    const t = await aliceHasAJob();
    await t.w.connections.putConnection('m2', 'mallory', t.w.clock.now());
    const event = wsFrame('m2', 'mallory', true, JSON.stringify({ action: 'subscribe', jobId: t.jobId }));
    delete (event.requestContext as { authorizer?: unknown }).authorizer;

    await t.message(event);

    expect(t.w.push.to('m2')).toEqual([{ type: 'error', code: 'not_found', jobId: t.jobId }]);
  });
});

describe('tier only from the token', () => {
  it('a tier, user or admin field in the submit body is refused, and the job runs under the token tier', async () => {
    const t = await aliceHasAJob();
    const claims = claimsFor('bob', 'free');

    const smuggled = await t.submit(httpEvent({ method: 'POST', route: '/backtests', body: { ...submitBody(), tier: 'pro', userId: 'alice', admin: true }, claims }), ctx);
    const plain = await t.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), headers: { 'x-tier': 'pro' }, query: { tier: 'pro' }, claims }), ctx);

    expect(smuggled.statusCode).toBe(400);
    expect(JSON.parse(smuggled.body ?? '{}').errors.map((e: { path: string }) => e.path).sort()).toEqual(['admin', 'tier', 'userId']);
    expect(JSON.parse(plain.body ?? '{}').tier).toBe('free');
    expect(t.w.queue.messages.pro).toHaveLength(1);
    expect(t.w.queue.messages.free).toHaveLength(1);
  });
});

describe('request size', () => {
  it('refuses a body over 64 KB with 413, also when base64-encoded, without parsing it', async () => {
    const t = await aliceHasAJob();
    const big = JSON.stringify({ ...submitBody(), strategyId: 'x'.repeat(70_000) });
    const encoded = httpEvent({ method: 'POST', route: '/backtests', body: Buffer.from(big).toString('base64'), claims: claimsFor('bob') });
    encoded.isBase64Encoded = true;

    const plain = await t.submit(httpEvent({ method: 'POST', route: '/backtests', body: big, claims: claimsFor('bob') }), ctx);
    const b64 = await t.submit(encoded, ctx);

    expect([plain.statusCode, b64.statusCode]).toEqual([413, 413]);
    expect(t.w.jobs.count()).toBe(1);
  });
});

function wsFrame(connectionId: string, userId: string, admin: boolean, body: string) {
  return {
    body,
    isBase64Encoded: false,
    requestContext: { routeKey: 'subscribe', connectionId, eventType: 'MESSAGE', stage: 'dev', domainName: 'ws.example', apiId: 'ws', authorizer: { userId, tier: 'pro', admin } },
  } as unknown as Parameters<Awaited<ReturnType<typeof aliceHasAJob>>['message']>[0];
}
