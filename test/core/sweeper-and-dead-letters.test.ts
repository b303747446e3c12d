import { describe, expect, it } from 'vitest';
import { newJob } from '../../lambdas/core/job.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { MAX_RECEIVE_COUNT, TIER_SETTINGS, VISIBILITY_TIMEOUT_SECONDS } from '../../lambdas/core/tiers.ts';
import { listDeadLetters, redriveDeadLetters } from '../../lambdas/core/use-cases/dead-letters.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { requeueStuckJobs, STUCK_AFTER_MS } from '../../lambdas/core/use-cases/requeue-stuck-jobs.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { InMemoryDeadLetterQueue } from '../support/fakes/index.ts';
import { principal, submitBody, world } from './support.ts';

/** A job as a submit that died between the job write and the SQS send leaves it: queued, charged, no message. */
async function orphan(w: ReturnType<typeof world>, userId = 'alice') {
  const job = newJob({
    jobId: w.newJobId(), userId, tier: 'basic', request: submitRequestSchema.parse(submitBody()), combinations: 1, creditsCharged: 1,
    now: new Date(w.clock.now()).toISOString(),
  });
  await w.jobs.create(job, { credits: 1, dailyLimit: null, day: '2024-03-01', initialCredits: 10 });
  return job.jobId;
}

describe('stuck-job sweeper', () => {
  it('re-sends a queued job that never started once it is older than the threshold, and only once per threshold', async () => {
    // Prepare
    const w = world();
    const jobId = await orphan(w);

    // Act
    const early = await requeueStuckJobs(w);
    w.clock.advance(STUCK_AFTER_MS + 1);
    const due = await requeueStuckJobs(w);
    const again = await requeueStuckJobs(w);

    // Assess
    expect(early.requeued).toEqual([]);
    expect(due.requeued).toEqual([jobId]);
    expect(again.requeued).toEqual([]);
    expect(w.queue.messages.basic).toEqual([{ jobId, userId: 'alice', tier: 'basic' }]);
  });

  it('a re-sent message and a late original both arrive: the job runs once, the duplicate is skipped', async () => {
    const w = world();
    const jobId = await orphan(w);
    w.clock.advance(STUCK_AFTER_MS + 1);
    await requeueStuckJobs(w);
    const deps = { jobs: w.jobs, marketData: w.marketData, clock: w.clock };

    const first = await processJob({ jobId, userId: 'alice', tier: 'basic' }, 1, deps);
    const duplicate = await processJob({ jobId, userId: 'alice', tier: 'basic' }, 1, deps);

    expect(first).toEqual({ kind: 'done', status: 'succeeded' });
    expect(duplicate).toEqual({ kind: 'skip', reason: 'terminal' });
  });

  it('leaves alone jobs between retries (attempts > 0): their own message comes back after the backoff', async () => {
    const w = world();
    const jobId = await orphan(w);
    await w.jobs.claim(jobId, 1, new Date(w.clock.now()).toISOString());
    await w.jobs.scheduleRetry(jobId, 1, 'retrying', new Date(w.clock.now()).toISOString());
    w.clock.advance(STUCK_AFTER_MS * 10);

    const report = await requeueStuckJobs(w);

    expect(report.requeued).toEqual([]);
    expect(w.queue.all()).toEqual([]);
  });

  it('tries a failed send again one threshold later', async () => {
    const w = world();
    const jobId = await orphan(w);
    w.clock.advance(STUCK_AFTER_MS + 1);
    w.queue.failSends = 1;

    const failed = await requeueStuckJobs(w);
    w.clock.advance(STUCK_AFTER_MS + 1);
    const retried = await requeueStuckJobs(w);

    expect(failed).toMatchObject({ requeued: [], failed: [jobId] });
    expect(retried.requeued).toEqual([jobId]);
  });

  it('fails, with a refund, a job whose worker died on its last attempt and left it running', async () => {
    const w = world();
    const jobId = await orphan(w, 'dora');
    await w.jobs.claim(jobId, MAX_RECEIVE_COUNT, new Date(w.clock.now()).toISOString());
    const charged = w.jobs.credits('dora');
    const young = await requeueStuckJobs(w);
    w.clock.advance(VISIBILITY_TIMEOUT_SECONDS * 1000 + 1);

    const report = await requeueStuckJobs(w);

    expect(young.abandoned).toEqual([]);
    expect(report.abandoned).toEqual([jobId]);
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
    expect(w.jobs.credits('dora')).toBe((charged ?? 0) + 1);
  });
});

/** Runs a job's message through every attempt, as SQS would before moving it to the DLQ. */
async function exhaust(w: ReturnType<typeof world>, jobId: string, userId: string) {
  w.marketData.failLoads = MAX_RECEIVE_COUNT;
  for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
    await processJob({ jobId, userId, tier: 'pro' }, attempt, { jobs: w.jobs, marketData: w.marketData, clock: w.clock, random: () => 0 });
  }
}

describe('dead-letter list and redrive', () => {
  it('list shows each message with its receive count and job status, and leaves every message in the DLQ', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const { jobId } = await submitBacktest(principal('erin', 'pro'), submitBody(), undefined, w);
    await exhaust(w, jobId, 'erin');
    dlq.park('pro', { jobId, userId: 'erin', tier: 'pro' });
    dlq.park('pro', 'not json');

    const rows = await listDeadLetters('pro', 10, { dlq, jobs: w.jobs });

    expect(rows).toEqual([
      expect.objectContaining({ jobId, receiveCount: 6, jobStatus: 'failed', jobError: expect.objectContaining({ code: 'retries_exhausted' }) }),
      expect.objectContaining({ body: 'not json', receiveCount: 6 }),
    ]);
    expect(rows[1].jobId).toBeUndefined();
    expect(dlq.visible('pro')).toBe(2);
  });

  it('redrive makes an exhausted job runnable (attempts 0, credits debited again) and it then succeeds', async () => {
    // Prepare
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const { jobId } = await submitBacktest(principal('erin', 'pro'), submitBody(), undefined, w);
    await exhaust(w, jobId, 'erin');
    const afterRefund = w.jobs.credits('erin') ?? 0;
    dlq.park('pro', { jobId, userId: 'erin', tier: 'pro' });

    // Act
    const rows = await redriveDeadLetters('pro', 10, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });
    const rerun = await processJob(w.queue.messages.pro.at(-1), 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });

    // Assess
    expect(rows).toEqual([expect.objectContaining({ jobId, outcome: 'redriven' })]);
    expect(dlq.depth('pro')).toBe(0);
    expect(w.jobs.credits('erin')).toBe(afterRefund - 1);
    expect(rerun).toEqual({ kind: 'done', status: 'succeeded' });
  });

  it('keeps what it cannot redrive, removes messages of finished jobs, and never charges a second time', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const done = await submitBacktest(principal('finn', 'pro'), submitBody(), undefined, w);
    await processJob({ jobId: done.jobId, userId: 'finn', tier: 'pro' }, 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
    const broke = await submitBacktest(principal('gus', 'pro'), submitBody(), undefined, w);
    await exhaust(w, broke.jobId, 'gus');
    w.jobs.setCredits('gus', 0);
    dlq.park('pro', { jobId: done.jobId, userId: 'finn', tier: 'pro' });
    dlq.park('pro', { jobId: broke.jobId, userId: 'gus', tier: 'pro' });
    dlq.park('pro', { jobId: 'nope', userId: 'x', tier: 'pro' });
    dlq.park('pro', '{"hello":1}');

    const first = await redriveDeadLetters('pro', 10, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });
    const second = await redriveDeadLetters('pro', 10, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });

    expect(first.map((r) => r.outcome)).toEqual(['removed-finished', 'kept', 'kept', 'kept']);
    expect(first[1].detail).toMatch(/0 credit/);
    expect(second.map((r) => r.outcome)).toEqual(['kept', 'kept', 'kept']);
    expect(dlq.visible('pro')).toBe(3);
    expect(w.jobs.credits('gus')).toBe(0);
    expect((await w.jobs.get(broke.jobId))?.status).toBe('failed');
  });

  it('a job a killed worker left running is failed (refund) and requeued (debit): the balance ends where it was', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const { jobId } = await submitBacktest(principal('hana', 'pro'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, MAX_RECEIVE_COUNT, new Date(w.clock.now()).toISOString());
    const charged = w.jobs.credits('hana');
    dlq.park('pro', { jobId, userId: 'hana', tier: 'pro' });

    const rows = await redriveDeadLetters('pro', 10, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });

    expect(rows[0]).toMatchObject({ outcome: 'redriven' });
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(w.jobs.credits('hana')).toBe(charged);
  });

  it('lists at most --max messages and leaves every one in the DLQ', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    for (let i = 0; i < 15; i++) dlq.park('free', `junk ${i}`);

    const rows = await listDeadLetters('free', 12, { dlq, jobs: w.jobs });

    expect(rows.map((r) => r.body)).toEqual(Array.from({ length: 12 }, (_, i) => `junk ${i}`));
    expect(dlq.visible('free')).toBe(15);
  });

  it('redrives at most --max messages: the rest stay in the DLQ, their jobs failed and refunded', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const jobIds: string[] = [];
    for (let i = 0; i < 15; i++) {
      const userId = `max-${i}`;
      const { jobId } = await submitBacktest(principal(userId, 'pro'), submitBody(), undefined, w);
      await exhaust(w, jobId, userId);
      dlq.park('pro', { jobId, userId, tier: 'pro' });
      jobIds.push(jobId);
    }
    w.queue.messages.pro.length = 0;

    const rows = await redriveDeadLetters('pro', 12, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });

    expect(rows.map((r) => [r.jobId, r.outcome])).toEqual(jobIds.slice(0, 12).map((id) => [id, 'redriven']));
    expect(w.queue.messages.pro.map((m) => m.jobId)).toEqual(jobIds.slice(0, 12));
    expect(dlq.depth('pro')).toBe(3);
    expect(dlq.visible('pro')).toBe(3);
    for (const jobId of jobIds.slice(12)) expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
  });

  it('list shows a message SQS hands out twice once, and the run ends with every message visible again', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const first = dlq.park('basic', 'one');
    dlq.park('basic', 'two');
    // The second receive hands out a copy of 'one' while the run still holds the first (at-least-once delivery).
    const counted = copyOnSecondReceive(dlq, 'basic', first);

    const rows = await listDeadLetters('basic', 10, { dlq, jobs: w.jobs });

    expect(rows.map((r) => r.body)).toEqual(['one', 'two']);
    expect(dlq.visible('basic')).toBe(2);
    expect(counted.receives).toBeLessThanOrEqual(4);
  });

  it('redrive handles a message SQS hands out twice once, and still reaches the next one: one requeue, one charge', async () => {
    const w = world();
    const dlq = new InMemoryDeadLetterQueue();
    const { jobId } = await submitBacktest(principal('ivy', 'pro'), submitBody(), undefined, w);
    await exhaust(w, jobId, 'ivy');
    const refunded = w.jobs.credits('ivy') ?? 0;
    const junk = dlq.park('pro', 'not json');
    dlq.park('pro', { jobId, userId: 'ivy', tier: 'pro' });
    w.queue.messages.pro.length = 0;
    const counted = copyOnSecondReceive(dlq, 'pro', junk);

    const rows = await redriveDeadLetters('pro', 10, { dlq, jobs: w.jobs, queue: w.queue, clock: w.clock });

    expect(rows.map((r) => r.outcome)).toEqual(['kept', 'redriven']);
    expect(w.queue.messages.pro).toEqual([{ jobId, userId: 'ivy', tier: 'pro' }]);
    expect(w.jobs.credits('ivy')).toBe(refunded - TIER_SETTINGS.pro.creditsPerJob);
    expect(dlq.depth('pro')).toBe(1);
    expect(dlq.visible('pro')).toBe(1);
    expect(counted.receives).toBeLessThanOrEqual(4);
  });
});

/**
 * Makes the DLQ hand out one message per receive, and on the second receive a copy of `messageId` (already in the
 * run's hands). Throws past 20 receives, so a reader that keeps taking the same copy fails with a reason, not a timeout.
 */
function copyOnSecondReceive(dlq: InMemoryDeadLetterQueue, tier: 'free' | 'basic' | 'pro', messageId: string): { receives: number } {
  const counted = { receives: 0 };
  const receive = dlq.receive.bind(dlq);
  dlq.receive = async (t, _max, hideSeconds) => {
    counted.receives += 1;
    if (counted.receives > 20) throw new Error('the reader keeps receiving: a copy it released came straight back');
    if (t === tier && counted.receives === 2) dlq.redeliver(tier, messageId);
    return receive(t, 1, hideSeconds);
  };
  return counted;
}
