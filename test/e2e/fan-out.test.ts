import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFanOutScenario, startFanOutStack, type FanOutRun } from '../../bench/fan-out.ts';
import type { LocalStack } from '../../local/stack.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';

// Issue 9 end to end on the local stack (production handlers, DynamoDB Local, fauxqs with the fair-queue emulation):
// a pro 5,000-combination sweep over a year of one-minute bars (550 M bar evaluations) fans out over the two pro
// worker threads and completes; 2 s after it, another pro user's small job is submitted and starts while the sweep
// still runs. Wall times with one and two threads, and the wait with fairness off, come from bench/fan-out.ts
// (docs/fan-out.md has the numbers): one run here keeps the suite's time bounded.
let stack: LocalStack;
let run: FanOutRun;

beforeAll(async () => {
  stack = await startFanOutStack(2, true, { emulators: emulatorEndpoints(), prefix: freshPrefix('fanout') });
  run = await runFanOutScenario(stack, { threads: 2, fair: true }, 400_000);
}, 420_000);

afterAll(async () => {
  await stack?.stop();
});

describe('a fanned-out pro sweep on the local stack', () => {
  it('is priced and cut by its real work: 5,000 combinations x 110,040 minute bars, 6 credits, one chunk per 2.5e7', () => {
    expect(run.combinations).toBe(5000);
    expect(run.barEvaluations).toBe(5000 * 110_040);
    expect(run.chunks).toBe(Math.ceil(run.barEvaluations / TIER_SETTINGS.pro.chunkBarEvaluations));
    expect(run.credits).toBe(6);
  });

  it('completes, with progress that never goes back and an ETA while it runs', () => {
    expect(run.sweep.status).toBe('succeeded');
    expect(run.sweep.params).toEqual(run.sweep.top0);
    for (let i = 1; i < run.progressSeen.length; i++) expect(run.progressSeen[i]).toBeGreaterThanOrEqual(run.progressSeen[i - 1]);
    expect(run.progressSeen.at(-1)).toBe(1);
    expect(run.etaSeen.length).toBeGreaterThan(0);
    console.info(`[fan-out e2e] sweep wall time ${run.sweepWallSeconds.toFixed(1)} s on 2 pro threads; small job waited ${run.smallWaitSeconds.toFixed(1)} s`);
  });

  it('lets another pro user\'s small job start during the sweep, not after it', () => {
    // On AWS the slot frees within one chunk (about 2 s on a pro worker); on a shared 2-core machine a chunk takes
    // longer, so this asserts the property that fairness gives (B does not wait for A's backlog: 20+ chunks) with
    // room for a slow chunk, and the wait is reported. The bound is a share of the sweep's own wall time, so it holds
    // at any machine speed: with fair queues B waits for about one chunk of 23 on two threads (4-16 % of the sweep
    // measured at load 1 to 28); without them, for the backlog to be handed out (62-98 % on two threads in
    // docs/fan-out.md, 88 % measured at load 20: 22.0 s of 24.9 s). The old absolute 15 s bound depended on the load:
    // at load 28 B waited 5.6 s of a 46 s sweep. (The first check alone would let the unfair 22.0 s of 24.9 s pass.)
    expect(run.smallWaitSeconds).toBeLessThan(run.sweepWallSeconds - 2);
    expect(run.smallWaitSeconds).toBeLessThan(run.sweepWallSeconds * 0.4);
  });
});
