import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { JOB_STATUSES } from '../../lambdas/core/job.ts';
import { hostileString, hostileSubmitBody } from '../support/hostile-input.ts';
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

const validBody = (): Record<string, unknown> => ({ ...SINGLE_RUN });

/** Bodies for POST /backtests, each invalid by construction (so a 202 is always a bug), plus what only the wire carries. */
const hostileBody: fc.Arbitrary<{ what: string; body: Buffer }> = fc.oneof(
  hostileSubmitBody(validBody).map(({ what, body }) => ({ what, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ what: 'random bytes', body: Buffer.from(bytes) })),
  fc.constant({ what: 'invalid UTF-8 inside JSON', body: Buffer.concat([Buffer.from('{"strategyId":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('","symbol":"SYNTH-E2E"}')]) }),
  fc.integer({ min: 2_001, max: 5_000 }).map((depth) => ({ what: 'deep nesting', body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`) })),
  // Past the handler's 64 KiB and the gateway's 1 MiB.
  fc.integer({ min: 65_000, max: 3_000_000 }).map((n) => ({ what: `huge body (${n} B)`, body: Buffer.from(JSON.stringify({ ...validBody(), strategyId: 'x'.repeat(n) })) })),
);

const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=ebcdic');

describe('hostile HTTP over the wire: a 4xx problem, never a 5xx, no state change', () => {
  // 100 requests, each followed by five reads of the state: 11 s in a loaded full run; the bound only stops a hang.
  it('POST /backtests with hostile bodies and content types', { timeout: 240_000 }, async () => {
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

  it('hostile paths, methods, queries and headers', { timeout: 240_000 }, async () => {
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
