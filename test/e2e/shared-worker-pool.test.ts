import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { ApiClient, until } from './support/clients.ts';
import { LONG_SWEEP, SHORT_SWEEP } from './support/requests.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';

// The local stack's shared worker pool (local/slot-scheduler.ts): one thread that all three tiers' pollers feed, one
// invocation at a time, as `npm start` runs on a laptop with fewer cores than the tiers' concurrency. A free job holds
// the thread; a free, a basic and a pro job queue behind it, in that order of arrival. The freed thread must take pro
// first, then basic, then free, and every job must end exactly once.
let stack: LocalStack;
let admin: ApiClient;

beforeAll(async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('shared'),
    workerThreads: 1,
    invocationsPerThread: 1,
    extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'ERROR' },
    log: errorsOnlyLogger,
  });
  admin = new ApiClient(stack.httpUrl, await stack.token({ userId: `ops-${randomBytes(3).toString('hex')}`, admin: true }));
});

afterAll(async () => {
  await stack?.stop();
});

async function user(tier: Tier): Promise<ApiClient> {
  return new ApiClient(stack.httpUrl, await stack.token({ userId: `${tier}-${randomBytes(4).toString('hex')}`, tier }));
}

type QueueRow = { tier: Tier; waiting: number; inFlight: number; deadLettered: number; maxConcurrency: number };
async function queues(): Promise<Record<Tier, QueueRow>> {
  const { status, body } = await admin.call('GET', '/admin/queues');
  expect(status).toBe(200);
  return Object.fromEntries((body.tiers as QueueRow[]).map((row) => [row.tier, row])) as Record<Tier, QueueRow>;
}

describe('local shared worker pool', () => {
  it('gives the freed thread to the waiting pro job, then basic, then free; nothing is lost or run twice', async () => {
    expect(stack.workerThreads).toBe(1);
    expect(stack.workerSlots).toBe(1);
    // Each tier alone may use the whole pool; the mapping minimum is 2 (GET /admin/queues reports what the pollers use).
    const before = await queues();
    expect([before.free.maxConcurrency, before.basic.maxConcurrency, before.pro.maxConcurrency]).toEqual([2, 2, 2]);

    // The pool full of free jobs: the one thread runs a free sweep.
    const holder = await user('free');
    const held = await holder.submit({ ...SHORT_SWEEP, params: { fast: { from: 2, to: 40, step: 2 }, slow: { from: 50, to: 120, step: 15 } } });
    expect(held.status).toBe(202);
    await holder.waitFor(held.body.jobId, (j) => j.status !== 'queued', 30_000);

    // No slot is handed out until every backlog message is in its poller's hands, so the choice is made with all
    // three waiting, whether the free job is still running then or has just ended.
    stack.testHooks.pauseWorkerSlots();
    const waiting: { tier: Tier; api: ApiClient; jobId: string }[] = [];
    for (const tier of ['free', 'basic', 'pro'] as const) {
      const api = await user(tier);
      const res = await api.submit(tier === 'free' ? SHORT_SWEEP : { ...LONG_SWEEP, params: { fast: { from: 5, to: 50, step: 5 }, slow: { from: 60, to: 150, step: 10 } } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      waiting.push({ tier, api, jobId: res.body.jobId });
    }
    await until(async () => {
      const q = await queues();
      return (['free', 'basic', 'pro'] as const).every((t) => q[t].waiting === 0 && q[t].inFlight >= 1);
    }, 20_000, 'every backlog message received by its poller');
    // While they wait, each queued job shows its place in its own tier's queue and an ETA.
    for (const w of waiting) {
      const { body } = await w.api.get(w.jobId);
      expect(body).toMatchObject({ status: 'queued', queuePosition: 0, etaSeconds: expect.any(Number) });
    }
    stack.testHooks.resumeWorkerSlots();

    const done = await Promise.all(waiting.map((w) => w.api.waitFor(w.jobId, (j) => j.status === 'succeeded' || j.status === 'failed', 60_000)));
    const first = await holder.waitFor(held.body.jobId, (j) => j.status === 'succeeded' || j.status === 'failed', 30_000);

    expect([first, ...done].map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect([first, ...done].map((j) => j.attempts)).toEqual([1, 1, 1, 1]);
    // One thread, one invocation at a time: each started after the previous one finished, in tier order.
    const byStart = done.map((j, i) => ({ tier: waiting[i].tier, startedAt: Date.parse(j.startedAt), finishedAt: Date.parse(j.finishedAt) })).sort((a, b) => a.startedAt - b.startedAt);
    expect(byStart.map((j) => j.tier)).toEqual(['pro', 'basic', 'free']);
    expect(byStart[1].startedAt).toBeGreaterThanOrEqual(byStart[0].finishedAt);
    expect(byStart[2].startedAt).toBeGreaterThanOrEqual(byStart[1].finishedAt);

    // Nothing left behind: every message deleted, none dead-lettered.
    await until(async () => {
      const q = await queues();
      return (['free', 'basic', 'pro'] as const).every((t) => q[t].waiting === 0 && q[t].inFlight === 0);
    }, 20_000, 'the queues drained');
    const after = await queues();
    expect([after.free.deadLettered, after.basic.deadLettered, after.pro.deadLettered]).toEqual([0, 0, 0]);
  }, 120_000);
});
