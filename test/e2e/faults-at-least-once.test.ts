import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { FaultRun, startFaultStack, isTerminalStatus, type FaultUser } from './support/fault-run.ts';
import { sleep, until } from './support/clients.ts';
import { readJobHistories } from './support/stream-audit.ts';
import { LONG_SWEEP, MEDIUM_SWEEP, SHORT_SWEEP, SINGLE_RUN } from './support/requests.ts';

// SQS delivers at least once, Lambda sandboxes die, event source mappings stall. Three scenarios on one stack with
// no FAULT_* switch on (the faults here come from outside the handlers), each checked by FaultRun.verify: no job
// lost, no credit charged twice, no job finished twice, every subscriber saw the end.
// The killed-worker scenario shortens the visibility timeout to 6 s (720 s in production) so a message whose worker
// died comes back within the test. The other scenarios count engine runs, so they use a long one: on a loaded machine a
// job may run longer than 6 s, and its message would come back while it still runs and be claimed again (SQS's
// behaviour, and not what they test).
const SHORT_VISIBILITY_SECONDS = 6;
const LONG_VISIBILITY_SECONDS = 300;
let stack: LocalStack;
let sqs: SQSClient;
const runs: FaultRun[] = [];
/** What the stack logged as errors: the killed invocations, and nothing else. */
const logged: string[] = [];

beforeAll(async () => {
  stack = await startFaultStack('atleastonce', {
    visibilityTimeoutSeconds: SHORT_VISIBILITY_SECONDS,
    log: { info: () => undefined, error: (message, error) => logged.push(`${message} ${error instanceof Error ? error.message : String(error ?? '')}`) },
  });
  sqs = new SQSClient({ endpoint: stack.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});

afterEach(() => {
  const killed = /invocation for message .* failed .*the worker thread exited/;
  expect(logged.filter((line) => !killed.test(line)), 'errors logged by the stack').toEqual([]);
  logged.length = 0;
});

afterAll(async () => {
  await Promise.all(runs.map((r) => r.close()));
  sqs?.destroy();
  await stack?.stop();
});

/** Sets every tier queue's visibility timeout; a receive uses the queue's value at the time. */
async function useVisibility(seconds: number): Promise<void> {
  await Promise.all(
    TIERS.map((tier) => sqs.send(new SetQueueAttributesCommand({ QueueUrl: stack.resources.queues[tier].url, Attributes: { VisibilityTimeout: String(seconds) } }))),
  );
}

function newRun(name: string): FaultRun {
  const run = new FaultRun(name, stack);
  runs.push(run);
  return run;
}

/** Variants of a request (other dates), so no two jobs of a batch are the same work. */
function variant(body: typeof SINGLE_RUN, i: number): typeof SINGLE_RUN {
  return { ...body, startDate: `${2000 + i}-01-01` };
}

async function users(run: FaultRun): Promise<Record<Tier, FaultUser>> {
  const [free, basic, pro] = await Promise.all([run.user('free'), run.user('basic'), run.user('pro')]);
  return { free, basic, pro };
}

async function queuesDrained(run: FaultRun): Promise<void> {
  const admin = await run.admin();
  await until(async () => {
    const view = await admin.call('GET', '/admin/queues');
    return view.body.tiers.every((t: { waiting: number; inFlight: number; deadLettered: number }) => t.waiting === 0 && t.inFlight === 0 && t.deadLettered === 0);
  }, 60_000, 'tier queues empty, nothing dead-lettered');
}

describe('duplicate deliveries', () => {
  beforeAll(() => useVisibility(LONG_VISIBILITY_SECONDS));

  // The bounds of this file's waits and tests only stop a hang on a loaded machine; none of them is the behaviour.
  it('runs each job once although its message arrives three or four times', { timeout: 240_000 }, async () => {
    const run = newRun('duplicates');
    const u = await users(run);
    const plan: [FaultUser, object][] = [
      [u.free, variant(SINGLE_RUN, 1)],
      [u.free, SHORT_SWEEP],
      [u.basic, variant(SINGLE_RUN, 2)],
      [u.basic, SHORT_SWEEP],
      [u.basic, variant(SINGLE_RUN, 3)],
      [u.pro, variant(SINGLE_RUN, 4)],
      [u.pro, SHORT_SWEEP],
      [u.pro, variant(SINGLE_RUN, 5)],
    ];
    const copyIds: string[] = [];
    for (const [i, [user, body]] of plan.entries()) {
      const job = await run.submit(user, body);
      // The same body SubmitBacktest sends, 2 or 3 more times, straight onto the tier queue.
      const copies = 2 + (i % 2);
      const message = JSON.stringify({ jobId: job!.jobId, userId: user.userId, tier: user.tier });
      const sent = await Promise.all(Array.from({ length: copies }, () => sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.queues[user.tier].url, MessageBody: message }))));
      copyIds.push(...sent.map((r) => r.MessageId ?? ''));
    }
    // SQS took 20 distinct extra messages (2 or 3 per job).
    expect(new Set(copyIds.filter((id) => id !== '')).size).toBe(20);

    const summary = await run.verify({
      timeoutMs: 120_000,
      history: (job, history) => expect(history.runs, `${job.jobId} ran ${history.runs} times`).toBe(1),
    });
    expect(summary).toMatchObject({ submitted: plan.length, completed: plan.length, lost: 0, doubleCharges: 0, runs: plan.length });
    // Every copy was received and deleted (the claim refused it): a message leaves a queue only when deleted or
    // dead-lettered, and none is waiting, in flight or dead-lettered.
    await queuesDrained(run);
  });
});

describe('a worker killed mid-job', () => {
  beforeAll(() => useVisibility(SHORT_VISIBILITY_SECONDS));

  it('runs the job again after the visibility timeout and completes it once', { timeout: 300_000 }, async () => {
    const run = newRun('worker-killed');
    const u = await users(run);
    const basic2 = await run.user('basic');
    const plan: [FaultUser, object][] = [
      [u.basic, MEDIUM_SWEEP],
      [basic2, { ...MEDIUM_SWEEP, startDate: '1976-01-01' }],
      [u.basic, variant(SINGLE_RUN, 6)],
      [u.pro, MEDIUM_SWEEP],
      [u.pro, { ...MEDIUM_SWEEP, startDate: '1977-01-01' }],
      [u.free, SHORT_SWEEP],
    ];
    for (const [user, body] of plan) await run.submit(user, body);

    // Kill a tier's busy threads as soon as one of its sweeps is seen running with some progress.
    let cut = 0;
    for (const tier of ['basic', 'pro'] as const) {
      const sweeps = run.jobs.filter((j) => j.user.tier === tier);
      let killed = 0;
      await until(async () => {
        const views = await Promise.all(sweeps.map(async (j) => (await j.user.api.get(j.jobId)).body));
        if (!views.some((v) => v.status === 'running' && v.progress > 0)) return false;
        killed = await stack.testHooks.killBusyWorkers(tier);
        return killed > 0;
      }, 60_000, `a ${tier} sweep running`);
      cut += killed;
    }

    const summary = await run.verify({ timeoutMs: 150_000 });
    console.log(`faults worker-killed: ${cut} invocation(s) cut off mid-run, ${summary.runs - plan.length} extra run(s)`);
    expect(cut).toBeGreaterThanOrEqual(2);
    // The poller saw each cut-off invocation fail (and left its message on the queue).
    expect(logged.filter((line) => line.includes('the worker thread exited'))).toHaveLength(cut);
    // Each cut-off invocation is one more engine run, and its job still succeeded exactly once (verify).
    expect(summary.runs).toBeGreaterThanOrEqual(plan.length + 2);
    expect(summary).toMatchObject({ submitted: plan.length, completed: plan.length, lost: 0, doubleCharges: 0 });
    const attempts = await Promise.all(run.jobs.map(async (j) => (await j.user.api.get(j.jobId)).body.attempts as number));
    expect(attempts.filter((a) => a >= 2).length).toBeGreaterThanOrEqual(2);
    await queuesDrained(run);
  });
});

describe('the stream mapping paused', () => {
  beforeAll(() => useVisibility(LONG_VISIBILITY_SECONDS));

  it('delivers every change written while it was paused, in order, once it reads on', { timeout: 300_000 }, async () => {
    const run = newRun('stream-paused');
    const u = await users(run);
    const plan: [FaultUser, object][] = [
      [u.free, SHORT_SWEEP],
      [u.free, variant(SINGLE_RUN, 7)],
      [u.basic, MEDIUM_SWEEP],
      [u.basic, variant(SINGLE_RUN, 8)],
      // Seconds of work, so it is still running when the pause comes a push's latency after the first running
      // push: with the faster engine a medium sweep can finish within that latency, and then nothing would finish
      // while paused, which the test needs.
      [u.pro, LONG_SWEEP],
      [u.pro, SHORT_SWEEP],
    ];
    for (const [user, body] of plan) await run.submit(user, body);
    // Pause once the clients have seen the jobs start, so the pause cuts through live progress.
    await u.pro.socket.waitFor((m) => m.type === 'progress' && m.status === 'running', 60_000);
    const pausedAt = new Date().toISOString();
    stack.testHooks.pauseStreamPoller();

    const views = await run.waitForTerminal(180_000);
    expect([...views.values()].every((v) => isTerminalStatus(v.status))).toBe(true);
    // At least 3 s paused, and a second after the last job finished: the window in which nothing may arrive.
    await sleep(Math.max(1_000, Date.parse(pausedAt) + 3_000 - Date.now()));
    // A batch already being delivered when the pause came may still land, but it was read before the pause, so it
    // holds only changes written before it. A push of a change written later (its `at`) came through the pause.
    const pushedWhilePaused = run.users.flatMap((user) => user.socket.messages.filter((m) => m.type === 'progress' && m.at > pausedAt));
    stack.testHooks.resumeStreamPoller();

    const summary = await run.verify();
    expect(pushedWhilePaused, 'changes written after the pause pushed before the resume').toEqual([]);
    // The pause cut through live jobs: some finished while nobody was told.
    const histories = await readJobHistories(stack.dynamodbEndpoint, stack.resources.jobsStreamArn);
    const finishedWhilePaused = run.jobs.filter((j) => histories.get(j.jobId)!.changes.some((c) => c.newImage?.status === 'succeeded' && c.newImage.updatedAt > pausedAt));
    expect(finishedWhilePaused.length).toBeGreaterThanOrEqual(1);
    expect(summary).toMatchObject({ submitted: plan.length, completed: plan.length, lost: 0, doubleCharges: 0 });
    // Nothing went to the mapping's on-failure queue: no record was given up on.
    const failures = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.streamFailureQueueUrl, WaitTimeSeconds: 0 }));
    expect(failures.Messages ?? []).toEqual([]);
  });
});
