import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { listStrategies, TIMEFRAMES } from '../../engine/index.ts';
import { JOB_STATUSES } from '../../lambdas/core/job.ts';
import { anyJson, hostileString, notJson } from '../property/support.ts';
import { startFaultStack } from './support/fault-run.ts';
import { ApiClient } from './support/clients.ts';
import { clientProblemOf, rawRequest, type RawRequest } from './support/raw-http.ts';
import { SINGLE_RUN } from './support/requests.ts';

// Hostile requests over real HTTP to the local gateway and the production handlers: whatever the body, path, query
// or header, the answer is a 4xx application/problem+json (never a 5xx, never a crash of the gateway) and nothing
// changes: alice's jobs and credits, bob's job, nobody's account. test/property runs the same ideas against the
// handlers directly, with more runs; this file proves they hold through the wire (raw bytes, encodings, limits).
const RUNS = 100;
let stack: LocalStack;
let alice: { token: string; api: ApiClient; jobId: string };
let bob: { api: ApiClient; jobId: string };
let admin: ApiClient;
let before: unknown;

const STRATEGY_IDS = new Set(listStrategies().map((s) => s.id));
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/;
const ALLOWED_KEYS = new Set(['strategyId', 'params', 'symbol', 'timeframe', 'startDate', 'endDate', 'initialCash', 'commission', 'slippageBps', 'sizing', 'fractional', 'sweep']);

beforeAll(async () => {
  stack = await startFaultStack('hostilehttp', { extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'CRITICAL' } });
  const aliceToken = await stack.token({ userId: 'alice-hostile', tier: 'pro' });
  const bobToken = await stack.token({ userId: 'bob-hostile', tier: 'basic' });
  alice = { token: aliceToken, api: new ApiClient(stack.httpUrl, aliceToken), jobId: '' };
  bob = { api: new ApiClient(stack.httpUrl, bobToken), jobId: '' };
  admin = new ApiClient(stack.httpUrl, await stack.token({ userId: 'ops-hostile', admin: true }));
  alice.jobId = (await alice.api.submit(SINGLE_RUN)).body.jobId;
  bob.jobId = (await bob.api.submit(SINGLE_RUN)).body.jobId;
  // Finished jobs: a DELETE of one is a 409, never a cancel that would change state.
  await alice.api.waitFor(alice.jobId, (j) => j.status === 'succeeded');
  await bob.api.waitFor(bob.jobId, (j) => j.status === 'succeeded');
  before = await state();
});

afterAll(async () => {
  await stack?.stop();
});

/** Everything a hostile request could change, read through the API. */
async function state(): Promise<unknown> {
  const list = await alice.api.call('GET', '/backtests?limit=100');
  const account = async (userId: string) => {
    const { credits, hasAccount, submissionsToday, tier } = (await admin.call('GET', `/admin/users/${userId}`)).body;
    return { credits, hasAccount, submissionsToday, tier };
  };
  const bobJob = (await bob.api.get(bob.jobId)).body;
  return {
    alice: list.body.items.map((j: { jobId: string; status: string; updatedAt: string }) => [j.jobId, j.status, j.updatedAt]),
    aliceAccount: await account('alice-hostile'),
    bobJob: [bobJob.status, bobJob.updatedAt],
    bobAccount: await account('bob-hostile'),
  };
}

async function expectRefusedWithoutChange(req: RawRequest): Promise<number> {
  const res = await rawRequest(stack.httpUrl, { ...req, headers: { authorization: `Bearer ${alice.token}`, ...req.headers } });
  const problem = clientProblemOf(res);
  expect(await state()).toEqual(before);
  return problem.status;
}

const validBody = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({ ...SINGLE_RUN, ...patch });
const badDate = fc.oneof(
  anyJson.filter((v) => typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)),
  fc.integer({ min: 0, max: 9999 }).filter((y) => y < 1900 || y > 2100).map((y) => `${String(y).padStart(4, '0')}-06-15`),
  fc.constantFrom('2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '1899-12-31', '2101-01-01', '20240101', '2024-1-1', '+275760-09-13'),
);

/** Bodies for POST /backtests, each invalid by construction (so a 202 is always a bug). */
const hostileBody: fc.Arbitrary<{ what: string; body: Buffer }> = fc.oneof(
  notJson.map((text) => ({ what: 'not JSON', body: Buffer.from(text) })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ what: 'random bytes', body: Buffer.from(bytes) })),
  fc.constant({ what: 'invalid UTF-8 inside JSON', body: Buffer.concat([Buffer.from('{"strategyId":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('","symbol":"SYNTH-E2E"}')]) }),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }), hostileString).map((v) => ({ what: 'not an object', body: Buffer.from(JSON.stringify(v)) })),
  fc.constantFrom('strategyId', 'symbol').map((k) => {
    const b = validBody();
    delete b[k];
    return { what: `missing ${k}`, body: Buffer.from(JSON.stringify(b)) };
  }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !ALLOWED_KEYS.has(k) && k !== '__proto__'), anyJson).map(([k, v]) => ({ what: `extra ${k}`, body: Buffer.from(JSON.stringify(validBody({ [k]: v }))) })),
  fc.constantFrom('tier', 'userId', 'status', 'creditsCharged', 'attempts').map((k) => ({ what: `privileged ${k}`, body: Buffer.from(JSON.stringify(validBody({ [k]: 'pro' }))) })),
  anyJson.filter((v) => typeof v !== 'string' || !STRATEGY_IDS.has(v)).map((v) => ({ what: 'strategyId', body: Buffer.from(JSON.stringify(validBody({ strategyId: v }))) })),
  anyJson.filter((v) => typeof v !== 'string' || !SYMBOL.test(v)).map((v) => ({ what: 'symbol', body: Buffer.from(JSON.stringify(validBody({ symbol: v }))) })),
  anyJson.filter((v) => !(TIMEFRAMES as readonly unknown[]).includes(v)).map((v) => ({ what: 'timeframe', body: Buffer.from(JSON.stringify(validBody({ timeframe: v }))) })),
  fc.tuple(fc.constantFrom('startDate', 'endDate'), badDate).map(([k, v]) => ({ what: k, body: Buffer.from(JSON.stringify(validBody({ [k]: v }))) })),
  fc.constant({ what: 'start after end', body: Buffer.from(JSON.stringify(validBody({ startDate: '2020-01-01', endDate: '2019-01-01' }))) }),
  fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 1.0000001e12, noNaN: true }), hostileString, fc.constant(null)).map((v) => ({ what: 'initialCash', body: Buffer.from(JSON.stringify(validBody({ initialCash: v }))) })),
  fc.oneof(fc.double({ max: -1e-9, noNaN: true }), fc.double({ min: 0.1000001, noNaN: true }), hostileString).map((v) => ({ what: 'commission', body: Buffer.from(JSON.stringify(validBody({ commission: v }))) })),
  // Enormous grids: far past the pro tier's 5,000 combinations, or ranges that never end.
  fc.oneof(
    fc.integer({ min: 30, max: 100_000_000 }).map((to) => ({ fast: { from: 1, to, step: 1 }, slow: { from: 100, to: 300, step: 1 } })),
    fc.integer({ min: 1_001, max: 20_000 }).map((n) => ({ fast: Array.from({ length: n }, (_, i) => i + 1), slow: [50, 60, 70, 80, 90, 100] })),
    fc.constant({ fast: { from: 1, to: 1e300, step: 1e-300 } }),
    fc.constant({ fast: { from: 1, to: 10, step: 0 } }),
    fc.constant({ fast: [] }),
    anyJson.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
  ).map((params) => ({ what: 'params', body: Buffer.from(JSON.stringify(validBody({ params }))) })),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => ({ what: 'deep nesting', body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`) })),
  // Past the handler's 64 KiB and the gateway's 1 MiB.
  fc.integer({ min: 65_000, max: 3_000_000 }).map((n) => ({ what: `huge body (${n} B)`, body: Buffer.from(JSON.stringify(validBody({ strategyId: 'x'.repeat(n) }))) })),
);

const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=ebcdic');

describe('hostile HTTP over the wire: a 4xx problem, never a 5xx, no state change', () => {
  it('POST /backtests with hostile bodies and content types', { timeout: 60_000 }, async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileBody, contentType, async ({ body }, type) => {
        const status = await expectRefusedWithoutChange({ method: 'POST', path: '/backtests', body, headers: type === undefined ? {} : { 'content-type': type } });
        seen.set(status, (seen.get(status) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // The limits were met on the way: validation (400) and size (413) both answered.
    expect(seen.get(400)).toBeGreaterThan(0);
    expect(seen.get(413)).toBeGreaterThan(0);
  });

  it('hostile paths, methods, queries and headers', { timeout: 60_000 }, async () => {
    const segment = fc.oneof(
      hostileString.filter((s) => s.length > 0).map(encodeURIComponent),
      fc.uuid(),
      fc.constantFrom('..', '%2e%2e', '%2F', '..%2F..%2Fadmin%2Fqueues', '%ZZ', '%', '%00', '%C0%AF', '%EF%BF%BF', 'a'.repeat(4000)),
    );
    const headerValue = (s: string): boolean => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);
    const badIdempotencyKey = fc
      .oneof(fc.string({ minLength: 129, maxLength: 400 }), hostileString, fc.constantFrom('a b', 'tab\tkey', '\u00e9t\u00e9', 'x'.repeat(129)))
      .filter((k) => headerValue(k) && k.trim().length > 0 && !/^[\x21-\x7e]{1,128}$/.test(k.trim()));
    const badLimit = fc.oneof(hostileString, fc.integer().map(String), fc.constantFrom('0', '101', '-1', '1e2', '0x10', '', '1000', 'NaN')).filter((s) => !(/^\d{1,3}$/.test(s) && Number(s) >= 1 && Number(s) <= 100));
    const badCursor = fc.oneof(hostileString, fc.base64String({ maxLength: 200 }), fc.constant(Buffer.from('{"c":1,"j":2}').toString('base64url'))).filter((s) => s.length > 0);
    const badStatus = hostileString.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
    const request: fc.Arbitrary<RawRequest> = fc.oneof(
      fc.tuple(fc.constantFrom('GET', 'DELETE'), segment).map(([method, s]) => ({ method, path: `/backtests/${s}` })),
      fc.constantFrom('GET', 'DELETE').map((method) => ({ method, path: `/backtests/${bob.jobId}` })),
      fc.constant({ method: 'DELETE', path: `/backtests/${alice.jobId}` }),
      fc.tuple(fc.constantFrom('limit', 'cursor', 'status'), fc.oneof(badLimit, badCursor, badStatus)).map(([k, v]) => ({
        method: 'GET',
        path: `/backtests?${k}=${encodeURIComponent(k === 'limit' ? (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100 ? '0' : v) : k === 'status' && (JOB_STATUSES as readonly string[]).includes(v) ? 'nope' : v)}`,
      })),
      fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'), segment, fc.constantFrom('/', '/backtests/', '/admin/', '/backtests/x/', '/@connections/')).map(([method, s, prefix]) => ({
        method,
        path: `${prefix}${s}`,
      })),
      fc.constantFrom('PUT', 'PATCH').map((method) => ({ method, path: '/backtests', body: JSON.stringify(SINGLE_RUN), headers: { 'content-type': 'application/json' } })),
      // Admin routes from a caller who is not an admin: 403 before anything is read.
      fc.constantFrom(
        { method: 'GET', path: '/admin/queues' },
        { method: 'GET', path: '/admin/users/alice-hostile' },
        { method: 'POST', path: '/admin/users/alice-hostile/credits', body: '{"amount":1000}', headers: { 'content-type': 'application/json' } },
        { method: 'PUT', path: '/admin/users/alice-hostile/tier', body: '{"tier":"pro"}', headers: { 'content-type': 'application/json' } },
      ),
      badIdempotencyKey.map((key) => ({ method: 'POST', path: '/backtests', body: JSON.stringify(SINGLE_RUN), headers: { 'content-type': 'application/json', 'idempotency-key': key } })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        await expectRefusedWithoutChange(req);
      }),
      { numRuns: RUNS },
    );
  });
});
