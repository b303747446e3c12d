import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { MAX_RECEIVE_COUNT, TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { FaultRun, startFaultStack, type FaultUser } from './support/fault-run.ts';
import { until } from './support/clients.ts';
import { SHORT_SWEEP, SINGLE_RUN } from './support/requests.ts';

// 30 % of worker attempts crash after running the engine and before storing the result (FAULT_WORKER_CRASH_RATE,
// seeded), the most expensive moment to die; jobs on SYNTH-CRASH crash on every attempt. The retries take the real
// 2, 4, 8 s backoff (no option shortens it), so the batch is small: a crashed job runs again and succeeds once, and a
// job that crashes four times is failed with `retries_exhausted`, refunded, and its message is in the DLQ.
// Each worker thread draws from its own stream, seeded from FAULT_SEED, the tier and the thread index
// (local/worker-pool.ts threadFaultSeed). With seed 762 and one thread per tier, the first claim of basic and of pro
// crashes and none of their next nine do, and no draw crashes a free claim in its first eight: retries happen, and only
// the SYNTH-CRASH job exhausts them, whatever order a tier's jobs are claimed in.
let stack: LocalStack;
let sqs: SQSClient;
let run: FaultRun;

beforeAll(async () => {
  stack = await startFaultStack('crash', {
    extraEnv: { FAULT_WORKER_CRASH_RATE: '0.3', FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH', FAULT_SEED: '762' },
  });
  sqs = new SQSClient({ endpoint: stack.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  run = new FaultRun('worker-crash', stack);
});

afterAll(async () => {
  await run?.close();
  sqs?.destroy();
  await stack?.stop();
});

async function deadLetters(tier: Tier): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.resources.queues[tier].dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    if ((out.Messages ?? []).length === 0) return ids;
    ids.push(...(out.Messages ?? []).map((m) => (JSON.parse(m.Body ?? '{}') as { jobId: string }).jobId));
  }
}

describe('worker attempts that crash', () => {
  // 2 + 4 + 8 s of real backoff is the floor; the bounds above it only stop a hang on a loaded machine.
  it('retries with backoff until each job succeeds once, or fails it after four attempts into the DLQ', { timeout: 300_000 }, async () => {
    const users: FaultUser[] = [await run.user('free'), await run.user('basic'), await run.user('pro')];
    const mayCrash = { status: 'succeeded-or-failed', expectedError: 'retries_exhausted' } as const;
    const plan: [FaultUser, object, typeof mayCrash | { status: 'failed'; expectedError: string }][] = [
      [users[0], SINGLE_RUN, mayCrash],
      [users[0], { ...SINGLE_RUN, symbol: 'SYNTH-CRASH' }, { status: 'failed', expectedError: 'retries_exhausted' }],
      [users[1], SINGLE_RUN, mayCrash],
      [users[1], SHORT_SWEEP, mayCrash],
      [users[1], { ...SINGLE_RUN, startDate: '2012-01-01' }, mayCrash],
      [users[2], SINGLE_RUN, mayCrash],
      [users[2], SHORT_SWEEP, mayCrash],
      [users[2], { ...SINGLE_RUN, startDate: '2012-01-01' }, mayCrash],
    ];
    for (const [user, body, intent] of plan) await run.submit(user, body, intent);

    const summary = await run.verify({
      timeoutMs: 150_000,
      // Every attempt is one engine run; a succeeded job ran once per attempt it needed, a failed one four times.
      history: (job, history) => {
        const failed = history.changes.at(-1)?.newImage?.status === 'failed';
        if (failed) expect(history.runs, `${job.jobId}: runs before failing`).toBe(MAX_RECEIVE_COUNT);
        else expect(history.runs).toBeLessThanOrEqual(MAX_RECEIVE_COUNT);
      },
    });
    const views = await Promise.all(run.jobs.map(async (j) => ({ job: j, view: (await j.user.api.get(j.jobId)).body })));
    const failed = views.filter((v) => v.view.status === 'failed');
    const retried = views.filter((v) => v.view.status === 'succeeded' && v.view.attempts > 1);
    console.log(`faults worker-crash: ${retried.length} job(s) succeeded after a crashed attempt, ${failed.length} failed after ${MAX_RECEIVE_COUNT} attempts, ${summary.runs} engine runs`);
    expect(summary).toMatchObject({ submitted: plan.length, lost: 0, doubleCharges: 0 });
    expect(summary.runs).toBeGreaterThan(plan.length);
    // What seed 762 draws (see the top of this file): one crashed first attempt in basic and in pro, none in free.
    expect(retried.map((v) => v.job.user.tier).sort()).toEqual(['basic', 'pro']);
    expect(failed.map((v) => v.view.request.symbol)).toEqual(['SYNTH-CRASH']);
    for (const { view } of failed) expect(view).toMatchObject({ attempts: MAX_RECEIVE_COUNT, error: { code: 'retries_exhausted' } });

    // Each failed job's message went to its tier's DLQ (on the receive after the last attempt), and only those.
    await until(async () => {
      const view = await (await run.admin()).call('GET', '/admin/queues');
      const dead = view.body.tiers.reduce((n: number, t: { deadLettered: number }) => n + t.deadLettered, 0);
      return dead >= failed.length;
    }, 60_000, 'failed jobs in the DLQs');
    const lettered = (await Promise.all(TIERS.map(deadLetters))).flat().sort();
    expect(lettered).toEqual(failed.map((f) => f.job.jobId).sort());
  });
});
