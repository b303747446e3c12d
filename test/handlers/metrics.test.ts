import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createProgressNotifierHandler } from '../../lambdas/handlers/stream/progress-notifier-handler.ts';
import { createWorkerHandler } from '../../lambdas/handlers/worker/worker-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, jobStreamRecord, lambdaContext, sqsEvent, sqsRecord, streamEvent } from '../support/events/index.ts';
import { ManualClock } from '../support/fakes/index.ts';
import { captureEmf, named, silentMetrics, testMetrics, type EmfDatum } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

type World = ReturnType<typeof world>;
const ctx = lambdaContext();
const WORKER_DIMENSIONS = { service: 'backtest-queue', tier: 'basic' };
const names = (data: EmfDatum[]): string[] => [...new Set(data.map((d) => d.name))].sort();

function worker(w: World, metrics: Metrics = testMetrics()) {
  return createWorkerHandler({ jobs: w.jobs, marketData: w.marketData, visibility: w.queue, clock: w.clock, tier: 'basic', random: () => 1, logger: silentLogger, metrics });
}

/** Loading the bars takes `ms` on the world's clock, so the run time is known exactly. */
function slowLoads(w: World, ms: number): void {
  const load = w.marketData.load.bind(w.marketData);
  w.marketData.load = async (...args) => {
    w.clock.advance(ms);
    return load(...args);
  };
}

async function deliver(w: World, receiveCount: number, body: unknown = w.queue.messages.basic[0]): Promise<EmfDatum[]> {
  // A fresh context per invocation: the worker's deadline is the context's remaining time, and a context made when
  // the file loaded would run out on a slow enough run.
  return captureEmf(() => worker(w)(sqsEvent(sqsRecord({ body, receiveCount })), lambdaContext()));
}

describe('worker metrics (EMF, dimensions service and tier)', () => {
  it('a first attempt that succeeds: the submit-to-claim wait, run time and bars, all under the tier', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    w.clock.advance(7_000);
    slowLoads(w, 1_500);
    const data = await deliver(w, 1);
    const job = (await w.jobs.get(jobId))!;
    expect(job.status).toBe('succeeded');
    expect(names(data)).toEqual(['BarsProcessed', 'JobsSucceeded', 'QueueWaitSeconds', 'RunSeconds']);
    for (const d of data) expect(d).toMatchObject({ namespace: 'BacktestQueue', dimensions: WORKER_DIMENSIONS });
    expect(named(data, 'JobsSucceeded')).toMatchObject([{ value: 1, unit: 'Count' }]);
    expect(named(data, 'QueueWaitSeconds')).toMatchObject([{ value: 7, unit: 'Seconds' }]);
    expect(named(data, 'RunSeconds')).toMatchObject([{ value: 1.5, unit: 'Seconds' }]);
    expect(named(data, 'BarsProcessed')).toMatchObject([{ value: job.result!.stats.bars, unit: 'Count' }]);
    expect(job.result!.stats.bars).toBeGreaterThan(2_000);
  });

  it('a failed attempt that will be retried counts JobsRetried, with its run time but no queue wait (not the first attempt)', async () => {
    const w = world();
    await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    w.marketData.failLoads = 1;
    slowLoads(w, 250);
    const data = await deliver(w, 2);
    expect(names(data)).toEqual(['JobsRetried', 'RunSeconds']);
    expect(named(data, 'JobsRetried')).toMatchObject([{ value: 1, dimensions: WORKER_DIMENSIONS }]);
    expect(named(data, 'RunSeconds')).toMatchObject([{ value: 0.25 }]);
  });

  it('the last failed attempt counts the job failed and dead-lettered', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, 3, '2024-03-01T12:00:10.000Z');
    await w.jobs.scheduleRetry(jobId, 3, 'retrying', '2024-03-01T12:00:11.000Z');
    w.marketData.failLoads = 1;
    const data = await deliver(w, 4);
    expect(names(data)).toEqual(['JobsDeadLettered', 'JobsFailed', 'RunSeconds']);
    expect(named(data, 'JobsFailed')).toMatchObject([{ value: 1 }]);
    expect(named(data, 'JobsDeadLettered')).toMatchObject([{ value: 1 }]);
  });

  it('an unknown symbol fails the job at once: JobsFailed and the queue wait, no bars', async () => {
    const w = world();
    await submitBacktest(principal('alice', 'basic'), submitBody({ symbol: 'ZZZZ' }), undefined, w);
    w.clock.advance(2_500);
    const data = await deliver(w, 1);
    expect(names(data)).toEqual(['JobsFailed', 'QueueWaitSeconds', 'RunSeconds']);
    expect(named(data, 'QueueWaitSeconds')).toMatchObject([{ value: 2.5 }]);
  });

  it('a malformed message is dead-lettered but is no job failure', async () => {
    const w = world();
    const data = await deliver(w, 1, 'not json');
    expect(data).toMatchObject([{ name: 'JobsDeadLettered', value: 1, dimensions: WORKER_DIMENSIONS }]);
  });

  it('a cancel requested before a redelivery counts JobsCancelled without a run; a stale duplicate counts DeliveriesSkipped', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    await w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z');
    expect(await deliver(w, 2)).toMatchObject([{ name: 'JobsCancelled', value: 1, unit: 'Count', dimensions: WORKER_DIMENSIONS }]);
    expect(await deliver(w, 2)).toMatchObject([{ name: 'DeliveriesSkipped', value: 1 }]);
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true (the local stack), and the job still runs', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    const data = await captureEmf(() => worker(w, silentMetrics())(sqsEvent(sqsRecord({ body: w.queue.messages.basic[0], receiveCount: 1 })), lambdaContext()));
    expect(data).toEqual([]);
    expect((await w.jobs.get(jobId))?.status).toBe('succeeded');
  });
});

describe('submit metrics', () => {
  function submit(w: World) {
    const handler = createSubmitHandler({ ...w, logger: silentLogger, metrics: testMetrics() });
    return (body: unknown, claims: Record<string, string>, headers: Record<string, string> = {}) =>
      captureEmf(() => handler(httpEvent({ method: 'POST', route: '/backtests', body, claims, headers }), ctx));
  }

  it('counts a new job per tier, and not its idempotent replay', async () => {
    const w = world();
    const send = submit(w);
    const first = await send(submitBody(), claimsFor('alice', 'pro'), { 'Idempotency-Key': 'k1' });
    expect(first).toEqual([{ namespace: 'BacktestQueue', name: 'JobsSubmitted', unit: 'Count', value: 1, dimensions: { service: 'backtest-queue', tier: 'pro' } }]);
    expect(await send(submitBody(), claimsFor('alice', 'pro'), { 'Idempotency-Key': 'k1' })).toEqual([]);
    expect(w.queue.messages.pro).toHaveLength(1);
  });

  it('counts refusals by reason: validation (schema and malformed JSON), rate_limited, no_credits', async () => {
    const w = world();
    const send = submit(w);
    const rejected = (reason: string) => [{ namespace: 'BacktestQueue', name: 'SubmitRejected', unit: 'Count', value: 1, dimensions: { service: 'backtest-queue', reason } }];

    expect(await send(submitBody({ params: { fast: 'ten' } }), claimsFor('bob'))).toEqual(rejected('validation'));
    expect(await send('{not json', claimsFor('bob'))).toEqual(rejected('validation'));

    for (let i = 0; i < 3; i++) expect(named(await send(submitBody(), claimsFor('bob')), 'JobsSubmitted')).toHaveLength(1);
    expect(await send(submitBody(), claimsFor('bob'))).toEqual(rejected('rate_limited'));

    w.jobs.setCredits('carol', 0);
    expect(await send(submitBody(), claimsFor('carol', 'basic'))).toEqual(rejected('no_credits'));
  });
});

describe('progress notifier metrics (dimension service)', () => {
  async function change(w: World): Promise<{ before: Job; after: Job }> {
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    const before = (await w.jobs.get(jobId))!;
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    return { before, after: (await w.jobs.get(jobId))! };
  }

  it('counts pushes and gone connections, and the delay from the job write to the push', async () => {
    const w = world();
    const { before, after } = await change(w);
    await w.connections.subscribe('c1', before.jobId, 0);
    await w.connections.subscribe('c2', before.jobId, 0);
    await w.connections.putConnection('gone', 'alice', 0);
    await w.connections.subscribe('gone', before.jobId, 0);
    w.push.gone.add('gone');
    const clock = new ManualClock(Date.parse(after.updatedAt) + 350);
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, logger: silentLogger, metrics: testMetrics(), clock });
    const data = await captureEmf(() => handler(streamEvent(jobStreamRecord({ oldJob: before, newJob: after })), ctx));
    const dimensions = { service: 'backtest-queue' };
    expect(data.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { namespace: 'BacktestQueue', name: 'ConnectionsGone', unit: 'Count', value: 1, dimensions },
      { namespace: 'BacktestQueue', name: 'ProgressPushed', unit: 'Count', value: 2, dimensions },
      { namespace: 'BacktestQueue', name: 'PushLatencyMs', unit: 'Milliseconds', value: 350, dimensions },
    ]);
  });

  it('writes no EMF at all for a batch nobody watches', async () => {
    const w = world();
    const { before, after } = await change(w);
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, logger: silentLogger, metrics: testMetrics() });
    const data = await captureEmf(() => handler(streamEvent(jobStreamRecord({ oldJob: before, newJob: after })), ctx));
    expect(data).toEqual([]);
  });
});
