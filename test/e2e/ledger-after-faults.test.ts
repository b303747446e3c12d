import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import type { ApiClient } from './support/clients.ts';
import { FaultRun, startFaultStack, type FaultUser } from './support/fault-run.ts';
import { SHORT_SWEEP, SINGLE_RUN } from './support/requests.ts';

// Issue 11, item 7: after a run where submits lose their queue send (refunded at once, FAULT_SQS_SEND_FAIL_RATE) and
// a job crashes on every attempt (refunded after four, FAULT_WORKER_CRASH_SYMBOLS), then an operator grants and
// claws back credits, every user's ledger (GET /me/ledger, all pages) adds up to their balance (GET /me), and the
// operator's view of it (GET /admin/users/{id}/ledger) is the same list.
let stack: LocalStack;
let run: FaultRun;

beforeAll(async () => {
  stack = await startFaultStack('ledger', {
    // Submit logs every 503 as an error with its stack; here they are the point.
    extraEnv: { FAULT_SQS_SEND_FAIL_RATE: '0.4', FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH', FAULT_SEED: '5', LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'CRITICAL' },
  });
  run = new FaultRun('ledger', stack);
});

afterAll(async () => {
  await run?.close();
  await stack?.stop();
});

async function wholeLedger(api: ApiClient, path: string): Promise<{ kind: string; amount: number; jobId?: string }[]> {
  const lines: { kind: string; amount: number; jobId?: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call('GET', `${path}?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    lines.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return lines;
}

describe('the credits ledger after a fault run', () => {
  it('adds up to every user\'s balance, refunds and operator adjustments included', { timeout: 300_000 }, async () => {
    const users: FaultUser[] = [await run.user('basic'), await run.user('pro')];
    const crash = { status: 'failed', expectedError: 'retries_exhausted' } as const;
    const plan: [FaultUser, object, { status: 'succeeded' } | typeof crash][] = [
      [users[0], SINGLE_RUN, { status: 'succeeded' }],
      [users[0], { ...SINGLE_RUN, symbol: 'SYNTH-CRASH' }, crash],
      [users[0], SHORT_SWEEP, { status: 'succeeded' }],
      [users[0], { ...SINGLE_RUN, startDate: '2012-01-01' }, { status: 'succeeded' }],
      [users[1], SINGLE_RUN, { status: 'succeeded' }],
      [users[1], SHORT_SWEEP, { status: 'succeeded' }],
      [users[1], { ...SINGLE_RUN, startDate: '2012-01-01' }, { status: 'succeeded' }],
      [users[1], { ...SINGLE_RUN, startDate: '2013-01-01' }, { status: 'succeeded' }],
    ];
    for (const [user, body, intent] of plan) await run.submit(user, body, intent);
    // The shared invariants first: nothing lost, credits = starting credits minus the succeeded jobs.
    const summary = await run.verify({ timeoutMs: 150_000 });
    expect(summary.lost).toBe(0);
    const refused = run.jobs.filter((j) => j.submitStatus === 503).length;
    expect(refused, 'the seeded send failures hit at least one submit').toBeGreaterThanOrEqual(1);

    const admin = await run.admin();
    expect((await admin.call('POST', `/admin/users/${encodeURIComponent(users[0].userId)}/credits`, { amount: 25 })).status).toBe(200);
    expect((await admin.call('POST', `/admin/users/${encodeURIComponent(users[1].userId)}/credits`, { amount: -1_000_000 })).status).toBe(200);
    expect((await admin.call('PUT', `/admin/users/${encodeURIComponent(users[1].userId)}/tier`, { tier: 'basic' })).status).toBe(200);

    for (const user of users) {
      const lines = await wholeLedger(user.api, '/me/ledger');
      const me = await user.api.call('GET', '/me');
      expect(me.status).toBe(200);
      const mine = run.jobs.filter((j) => j.user === user);
      expect(lines.reduce((sum, line) => sum + line.amount, 0), `${user.userId}: ledger sum`).toBe(me.body.credits);
      // One debit per job created (a 503 submit created and refunded its job), one refund per job that did not succeed.
      expect(lines.filter((l) => l.kind === 'debit')).toHaveLength(mine.length);
      expect(lines.filter((l) => l.kind === 'refund').map((l) => l.jobId).sort()).toEqual(
        mine.filter((j) => j.submitStatus === 503 || j.intent.status === 'failed').map((j) => j.jobId).sort(),
      );
      expect(lines.filter((l) => l.kind === 'opening')).toEqual([expect.objectContaining({ amount: TIER_SETTINGS[user.tier].initialCredits })]);
      expect(await wholeLedger(admin, `/admin/users/${encodeURIComponent(user.userId)}/ledger`)).toEqual(lines);
    }
    // A user cannot read another user's ledger through the admin route.
    expect((await users[0].api.call('GET', `/admin/users/${encodeURIComponent(users[1].userId)}/ledger`)).status).toBe(403);
  });
});
