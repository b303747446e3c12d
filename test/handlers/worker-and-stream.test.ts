import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createProgressNotifierHandler } from '../../lambdas/handlers/stream/progress-notifier-handler.ts';
import { createWorkerHandler } from '../../lambdas/handlers/worker/worker-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { jobStreamRecord, lambdaContext, sqsEvent, sqsRecord, streamEvent } from '../support/events/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

function worker(w: ReturnType<typeof world>) {
  return createWorkerHandler({ jobs: w.jobs, marketData: w.marketData, visibility: w.queue, clock: w.clock, tier: 'basic', random: () => 1, logger: silentLogger, metrics: silentMetrics() });
}

describe('worker handler', () => {
  it('runs a job from an SQS record and reports no failures', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    const res = await worker(w)(sqsEvent(sqsRecord({ body: w.queue.messages.basic[0], receiveCount: 1 })), lambdaContext());
    expect(res).toEqual({ batchItemFailures: [] });
    expect((await w.jobs.get(jobId))?.status).toBe('succeeded');
    expect(w.queue.visibilityChanges).toEqual([]);
  });

  it('on a transient failure hides the message for the backoff delay and reports it failed', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    w.marketData.failLoads = 1;
    const record = sqsRecord({ body: w.queue.messages.basic[0], receiveCount: 2, messageId: 'm-1', receiptHandle: 'rh-1' });
    const res = await worker(w)(sqsEvent(record), lambdaContext());
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    // attempt 2 -> 4 s base, random() = 1 -> +25 % = 5 s
    expect(w.queue.visibilityChanges).toEqual([{ tier: 'basic', receiptHandle: 'rh-1', seconds: 5 }]);
    expect((await w.jobs.get(jobId))?.status).toBe('queued');
  });

  it('after the 4th failed attempt fails the job and makes the message visible at once for the DLQ redrive', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, 3, '2024-03-01T12:00:10.000Z');
    await w.jobs.scheduleRetry(jobId, 3, 'retrying', '2024-03-01T12:00:11.000Z');
    w.marketData.failLoads = 1;
    const res = await worker(w)(sqsEvent(sqsRecord({ body: w.queue.messages.basic[0], receiveCount: 4, messageId: 'm-4', receiptHandle: 'rh-4' })), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-4' }]);
    expect(w.queue.visibilityChanges).toEqual([{ tier: 'basic', receiptHandle: 'rh-4', seconds: 0 }]);
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
  });

  it('deletes (succeeds) a message for an unknown symbol after failing the job at once', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody({ symbol: 'ZZZZ' }), undefined, w);
    const res = await worker(w)(sqsEvent(sqsRecord({ body: w.queue.messages.basic[0] })), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    expect((await w.jobs.get(jobId))?.error?.code).toBe('unknown_symbol');
  });

  it('sends an unparsable body towards the DLQ', async () => {
    const w = world();
    const res = await worker(w)(sqsEvent(sqsRecord({ body: 'not json', messageId: 'bad', receiptHandle: 'rh-bad' })), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(w.queue.visibilityChanges).toEqual([{ tier: 'basic', receiptHandle: 'rh-bad', seconds: 0 }]);
  });
});

describe('progress notifier handler', () => {
  async function jobs(w: ReturnType<typeof world>): Promise<{ before: Job; after: Job }> {
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    const before = (await w.jobs.get(jobId))!;
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    return { before, after: (await w.jobs.get(jobId))! };
  }

  it('pushes a change read from the stream images to subscribers and ignores invisible changes', async () => {
    const w = world();
    const { before, after } = await jobs(w);
    await w.connections.subscribe('c1', before.jobId, 0);
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, logger: silentLogger, metrics: silentMetrics() });
    const res = await handler(
      streamEvent(jobStreamRecord({ oldJob: before, newJob: after }), jobStreamRecord({ oldJob: after, newJob: { ...after, creditsCharged: 0 } })),
      lambdaContext(),
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(w.push.to('c1')).toEqual([
      { type: 'progress', jobId: before.jobId, status: 'running', progress: 0, message: after.message, at: after.updatedAt },
    ]);
  });

  it('carries the result summary of a succeeded job through the stored item format (result as JSON)', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await w.connections.subscribe('c1', jobId, 0);
    const before = (await w.jobs.get(jobId))!;
    await worker(w)(sqsEvent(sqsRecord({ body: w.queue.messages.pro[0] })), lambdaContext());
    const after = (await w.jobs.get(jobId))!;
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, logger: silentLogger, metrics: silentMetrics() });
    await handler(streamEvent(jobStreamRecord({ oldJob: before, newJob: after })), lambdaContext());
    expect(w.push.to('c1')[0]).toMatchObject({ status: 'succeeded', result: { stats: { trades: after.result!.stats.trades }, tradesTotal: after.result!.tradesTotal } });
  });

  it('deletes gone connections without failing, and reports the record when a push fails otherwise', async () => {
    const w = world();
    const { before, after } = await jobs(w);
    await w.connections.putConnection('gone', 'alice', 0);
    await w.connections.subscribe('gone', before.jobId, 0);
    w.push.gone.add('gone');
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, logger: silentLogger, metrics: silentMetrics() });
    const ok = await handler(streamEvent(jobStreamRecord({ oldJob: before, newJob: after })), lambdaContext());
    expect(ok.batchItemFailures).toEqual([]);
    expect(await w.connections.getConnection('gone')).toBeUndefined();

    await w.connections.subscribe('flaky', before.jobId, 0);
    w.push.failing.add('flaky');
    const record = jobStreamRecord({ oldJob: before, newJob: after });
    const failed = await handler(streamEvent(record), lambdaContext());
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb!.SequenceNumber }]);
  });
});
