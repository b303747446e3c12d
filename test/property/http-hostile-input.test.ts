import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listStrategies, TIMEFRAMES } from '../../engine/index.ts';
import { JOB_STATUSES } from '../../lambdas/core/job.ts';
import { createAdminCreditsHandler } from '../../lambdas/handlers/api/admin-credits-handler.ts';
import { createAdminQueuesHandler } from '../../lambdas/handlers/api/admin-queues-handler.ts';
import { createAdminTierHandler } from '../../lambdas/handlers/api/admin-tier-handler.ts';
import { createAdminUserHandler } from '../../lambdas/handlers/api/admin-user-handler.ts';
import { createCancelJobHandler } from '../../lambdas/handlers/api/cancel-job-handler.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createListJobsHandler } from '../../lambdas/handlers/api/list-jobs-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { InMemoryAccountStore, InMemoryUserDirectory } from '../support/fakes/index.ts';
import { silentLogger } from '../handlers/silent-logger.ts';
import { anyJson, expectClientProblem, hostileString, notJson, RUNS } from './support.ts';

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

const STRATEGY_IDS = new Set(listStrategies().map((s) => s.id));
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/;
const ALLOWED_KEYS = ['strategyId', 'params', 'symbol', 'timeframe', 'startDate', 'endDate', 'initialCash', 'commission', 'slippageBps', 'sizing', 'fractional', 'sweep'];

function realDateInRange(s: unknown): boolean {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 2100;
}

const badDate = fc.oneof(
  anyJson.filter((v) => !realDateInRange(v)),
  fc.integer({ min: 0, max: 9999 }).filter((y) => y < 1900 || y > 2100).map((y) => `${String(y).padStart(4, '0')}-06-15`),
  fc.constantFrom('2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '1899-12-31', '2101-01-01', '20240101', '2024-1-1', '+275760-09-13'),
);

/** Each mutation turns the valid body into an invalid one, by construction. */
const hostileSubmitBody: fc.Arbitrary<{ what: string; body: unknown }> = fc.oneof(
  notJson.map((text) => ({ what: 'not JSON', body: text })),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }), hostileString).map((v) => ({ what: 'not an object', body: JSON.stringify(v) })),
  fc.constantFrom('strategyId', 'symbol').map((k) => {
    const b = submitBody();
    delete b[k];
    return { what: `missing ${k}`, body: b };
  }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !ALLOWED_KEYS.includes(k) && k !== '__proto__'), anyJson).map(([k, v]) => ({
    what: `extra ${k}`,
    body: { ...submitBody(), [k]: v },
  })),
  fc.constantFrom('tier', 'userId', 'status', 'creditsCharged').map((k) => ({ what: `privileged ${k}`, body: { ...submitBody(), [k]: 'pro' } })),
  anyJson.filter((v) => typeof v !== 'string' || !STRATEGY_IDS.has(v)).map((v) => ({ what: 'strategyId', body: submitBody({ strategyId: v }) })),
  anyJson.filter((v) => typeof v !== 'string' || !SYMBOL.test(v)).map((v) => ({ what: 'symbol', body: submitBody({ symbol: v }) })),
  anyJson.filter((v) => !(TIMEFRAMES as readonly unknown[]).includes(v)).map((v) => ({ what: 'timeframe', body: submitBody({ timeframe: v }) })),
  badDate.map((v) => ({ what: 'startDate', body: submitBody({ startDate: v }) })),
  badDate.map((v) => ({ what: 'endDate', body: submitBody({ endDate: v }) })),
  fc.constant({ what: 'start after end', body: submitBody({ startDate: '2020-01-01', endDate: '2019-01-01' }) }),
  fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 1.0000001e12, noNaN: true }), hostileString, fc.constant(null)).map((v) => ({
    what: 'initialCash',
    body: submitBody({ initialCash: v }),
  })),
  fc.oneof(fc.double({ max: -1e-9, noNaN: true }), fc.double({ min: 0.1000001, noNaN: true }), hostileString).map((v) => ({ what: 'commission', body: submitBody({ commission: v }) })),
  fc.oneof(
    fc.integer({ min: 1_001, max: 100_000_000 }).map((to) => ({ fast: { from: 1, to, step: 1 }, slow: { from: 2, to: 200, step: 1 } })),
    fc.integer({ min: 1_001, max: 5_000 }).map((n) => ({ fast: Array.from({ length: n }, (_, i) => i + 1) })),
    fc.constant({ fast: { from: 1, to: 1e300, step: 1e-300 } }),
    fc.constant({ fast: { from: 1, to: 10, step: 0 } }),
    fc.constant({ fast: [] }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['fast', 'slow', 'allowShort', '__proto__'].includes(k)), fc.integer(), { minKeys: 1, maxKeys: 3 }),
    anyJson.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
  ).map((params) => ({ what: 'params', body: submitBody({ params }) })),
  fc.oneof(anyJson.filter((v) => v !== 'all-in'), fc.constant({ units: -1 }), fc.constant({ fraction: 2 }), fc.constant({ units: 1, fraction: 0.5 })).map((v) => ({
    what: 'sizing',
    body: submitBody({ sizing: v }),
  })),
  fc.integer({ min: 70_000, max: 200_000 }).map((n) => ({ what: 'huge body', body: submitBody({ strategyId: 'x'.repeat(n) }) })),
  fc.integer({ min: 1, max: 2000 }).map((depth) => ({ what: 'deep nesting', body: `${'['.repeat(depth)}${']'.repeat(depth)}` })),
);

describe('hostile input to the HTTP API: always a 4xx problem, never a state change', () => {
  it('POST /backtests', async () => {
    const a = await api();
    await fc.assert(
      fc.asyncProperty(hostileSubmitBody, async ({ body }) => {
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

  it('admin routes: hostile bodies and user ids from an admin are 4xx; anything from a non-admin is 403', async () => {
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
        if (!asAdmin) expect(problem.status).toBe(403);
        expect(a.state()).toEqual(a.before);
      }),
      { numRuns: RUNS },
    );
  });
});
