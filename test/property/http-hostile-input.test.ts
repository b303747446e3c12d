import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATUSES } from '../../lambdas/core/job.ts';
import { createAdminCreditsHandler } from '../../lambdas/handlers/api/admin-credits-handler.ts';
import { createAdminQueuesHandler } from '../../lambdas/handlers/api/admin-queues-handler.ts';
import { createAdminTierHandler } from '../../lambdas/handlers/api/admin-tier-handler.ts';
import { createAdminUserHandler } from '../../lambdas/handlers/api/admin-user-handler.ts';
import { createCancelJobHandler } from '../../lambdas/handlers/api/cancel-job-handler.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createListJobsHandler } from '../../lambdas/handlers/api/list-jobs-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { MAX_BODY_BYTES } from '../../lambdas/handlers/shared/http.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { InMemoryAccountStore, InMemoryUserDirectory } from '../support/fakes/index.ts';
import { silentLogger } from '../handlers/silent-logger.ts';
import { anyJson, hostileString, hostileSubmitBody, notJson } from '../support/hostile-input.ts';
import { expectClientProblem, RUNS } from './support.ts';

const ctx = lambdaContext();

/**
 * A world with one job (bob's) already in it, and every HTTP handler built from the real factories. The caller of
 * every hostile request is alice, who owns nothing: no request may create, change or reveal anything.
 */
async function api() {
  const w = world();
  const accounts = new InMemoryAccountStore(w.jobs);
  const directory = new InMemoryUserDirectory();
  const deps = { ...w, accounts, directory, logger: silentLogger };
  const submit = createSubmitHandler(deps);
  const seeded = await submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('bob', 'pro') }), ctx);
  expect(seeded.statusCode).toBe(202);
  w.queue.messages.pro.length = 0;
  const state = () => ({ repo: w.jobs.snapshot(), messages: w.queue.all(), tiers: new Map(directory.tiers) });
  return {
    w,
    state,
    before: state(),
    submit,
    get: createGetJobHandler(deps),
    list: createListJobsHandler(deps),
    cancel: createCancelJobHandler(deps),
    adminQueues: createAdminQueuesHandler(deps),
    adminUser: createAdminUserHandler(deps),
    adminCredits: createAdminCreditsHandler(deps),
    adminTier: createAdminTierHandler(deps),
  };
}

/** Each mutation turns the valid body into an invalid one, by construction; plus a body past the 64 KiB limit. */
const hostileSubmitBodies: fc.Arbitrary<{ what: string; body: unknown }> = fc.oneof(
  hostileSubmitBody(submitBody),
  fc.integer({ min: 70_000, max: 200_000 }).map((n) => ({ what: 'huge body', body: submitBody({ strategyId: 'x'.repeat(n) }) })),
);

describe('hostile input to the HTTP API: always a 4xx problem, never a state change', () => {
  it('POST /backtests', async () => {
    const a = await api();
    await fc.assert(
      fc.asyncProperty(hostileSubmitBodies, async ({ body }) => {
        const res = await a.submit(httpEvent({ method: 'POST', route: '/backtests', body, claims: claimsFor('alice', 'pro') }), ctx);
        expectClientProblem(res);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /backtests with a valid body and a hostile Idempotency-Key', async () => {
    const a = await api();
    const badKey = fc.oneof(fc.constant(''), fc.string({ minLength: 129, maxLength: 400 }), hostileString).filter((k) => !/^[\x21-\x7e]{1,128}$/.test(k));
    await fc.assert(
      fc.asyncProperty(badKey, async (key) => {
        const res = await a.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), headers: { 'Idempotency-Key': key }, claims: claimsFor('alice') }), ctx);
        expect(expectClientProblem(res).errors).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });

  const jobIds = fc.oneof(hostileString.filter((s) => s.length > 0), fc.uuid(), fc.constant('job-0001'), fc.constant('job-0002'));

  it('GET and DELETE /backtests/{jobId} with bad or foreign job ids', async () => {
    const a = await api();
    await fc.assert(
      fc.asyncProperty(jobIds, fc.boolean(), async (jobId, del) => {
        const event = httpEvent({ method: del ? 'DELETE' : 'GET', route: '/backtests/{jobId}', pathParameters: { jobId }, claims: claimsFor('alice', 'pro') });
        const res = await (del ? a.cancel : a.get)(event, ctx);
        expect(expectClientProblem(res).status).toBe(404);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });

  it('GET /backtests with bad limits, cursors and statuses', async () => {
    const a = await api();
    const badLimit = fc.oneof(hostileString, fc.integer().map(String), fc.constantFrom('0', '101', '-1', '1e2', '0x10', ' 5', '5 ', '', '007', '1000')).filter(
      (s) => !(/^\d{1,3}$/.test(s) && Number(s) >= 1 && Number(s) <= 100),
    );
    const badCursor = fc.oneof(hostileString, fc.base64String({ maxLength: 200 }), fc.constant(Buffer.from('{"c":1,"j":2}').toString('base64url'))).filter((s) => s.length > 0);
    const badStatus = hostileString.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
    const query = fc
      .record({ limit: fc.option(badLimit, { nil: undefined }), cursor: fc.option(badCursor, { nil: undefined }), status: fc.option(badStatus, { nil: undefined }) })
      .filter((q) => q.limit !== undefined || q.cursor !== undefined || q.status !== undefined)
      .map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as Record<string, string>);
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const res = await a.list(httpEvent({ method: 'GET', route: '/backtests', query: q, claims: claimsFor('alice') }), ctx);
        const problem = expectClientProblem(res);
        expect(problem.status).toBe(400);
        expect((problem.errors as { path: string }[]).every((e) => Object.keys(q).includes(e.path))).toBe(true);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });

  it('every route with claims that name no user is 401', async () => {
    const a = await api();
    const claims = fc.oneof(
      fc.constant({}),
      fc.record({ sub: fc.oneof(fc.constant(''), fc.integer(), fc.boolean()), tier: fc.constantFrom('pro', 'admin'), admin: fc.constant('true') }),
    ) as fc.Arbitrary<Record<string, string>>;
    await fc.assert(
      fc.asyncProperty(claims, fc.nat(6), async (c, pick) => {
        const events = [
          () => a.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: c }), ctx),
          () => a.list(httpEvent({ method: 'GET', route: '/backtests', claims: c }), ctx),
          () => a.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: { jobId: 'job-0001' }, claims: c }), ctx),
          () => a.cancel(httpEvent({ method: 'DELETE', route: '/backtests/{jobId}', pathParameters: { jobId: 'job-0001' }, claims: c }), ctx),
          () => a.adminQueues(httpEvent({ method: 'GET', route: '/admin/queues', claims: c }), ctx),
          () => a.adminCredits(httpEvent({ method: 'POST', route: '/admin/users/{userId}/credits', pathParameters: { userId: 'bob' }, body: { amount: 5 }, claims: c }), ctx),
          () => a.adminTier(httpEvent({ method: 'PUT', route: '/admin/users/{userId}/tier', pathParameters: { userId: 'bob' }, body: { tier: 'pro' }, claims: c }), ctx),
        ];
        const res = await events[pick % events.length]();
        expect(expectClientProblem(res).status).toBe(401);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });

  it('admin routes: hostile bodies and user ids from an admin are 400; anything from a non-admin is 403', async () => {
    const a = await api();
    const creditsBody = fc.oneof(
      notJson,
      anyJson.filter((v) => typeof v !== 'number' || !Number.isInteger(v) || v === 0 || Math.abs(v) > 1_000_000).map((amount) => ({ amount })),
      fc.constant({}),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== 'amount' && k !== '__proto__'), anyJson).map(([k, v]) => ({ amount: 5, [k]: v })),
      anyJson.map((v) => JSON.stringify(v)),
    );
    const tierBody = fc.oneof(notJson, anyJson.filter((v) => v !== 'free' && v !== 'basic' && v !== 'pro').map((tier) => ({ tier })), fc.constant({ tier: 'pro', credits: 1 }));
    const badUserId = fc.oneof(fc.string({ minLength: 129, maxLength: 300 }), fc.constantFrom('a b', 'tab\there', 'nul\u0000', 'new\nline', '\u0085x'));
    const admin = { sub: 'root', admin: 'true' };
    await fc.assert(
      fc.asyncProperty(creditsBody, tierBody, badUserId, fc.nat(4), fc.boolean(), async (cb, tb, uid, pick, asAdmin) => {
        const claims = asAdmin ? admin : claimsFor('alice', 'pro');
        const requests = [
          () => a.adminCredits(httpEvent({ method: 'POST', route: '/admin/users/{userId}/credits', pathParameters: { userId: 'bob' }, body: cb, claims }), ctx),
          () => a.adminTier(httpEvent({ method: 'PUT', route: '/admin/users/{userId}/tier', pathParameters: { userId: 'bob' }, body: tb, claims }), ctx),
          () => a.adminUser(httpEvent({ method: 'GET', route: '/admin/users/{userId}', pathParameters: { userId: uid }, claims }), ctx),
          () => a.adminCredits(httpEvent({ method: 'POST', route: '/admin/users/{userId}/credits', pathParameters: { userId: uid }, body: { amount: 5 }, claims }), ctx),
          () => a.adminTier(httpEvent({ method: 'PUT', route: '/admin/users/{userId}/tier', pathParameters: { userId: uid }, body: { tier: 'pro' }, claims }), ctx),
        ];
        const res = await requests[pick]();
        const problem = expectClientProblem(res);
        // An admin is allowed in, so the refusal must be about the input (400, or 413 for a body over the limit: the
        // generators include strings up to 80,000 characters), never a 403 that hides a broken check.
        const sent = pick === 0 ? cb : pick === 1 ? tb : undefined;
        const sentBytes = sent === undefined ? 0 : Buffer.byteLength(typeof sent === 'string' ? sent : JSON.stringify(sent), 'utf8');
        expect(problem.status, res.body).toBe(asAdmin ? (sentBytes > MAX_BODY_BYTES ? 413 : 400) : 403);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });
});
