import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv, runBacktest } from '../../engine/index.ts';
import type { Job } from '../../lambdas/core/job.ts';
import type { JobMessage } from '../../lambdas/core/ports/job-queue.ts';
import type { JobRepository } from '../../lambdas/core/ports/job-repository.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../../lambdas/core/tiers.ts';
import { requestRangeMs, specFromRequest } from '../../lambdas/core/use-cases/backtest-spec.ts';
import { decodeSlice, encodeSlice } from '../../lambdas/core/use-cases/fan-out.ts';
import { processJob, toJobResult, type ProcessJobDeps, type ProcessOutcome } from '../../lambdas/core/use-cases/process-job.ts';
import { LOST_MESSAGE_AFTER_MS, requeueStuckJobs } from '../../lambdas/core/use-cases/requeue-stuck-jobs.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { chunkRange } from '../../lambdas/core/use-cases/work-estimate.ts';
import { describeWithSharedData, sharedDataFile } from '../support/shared-data.ts';
import { principal, submitBody, world } from './support.ts';

type World = ReturnType<typeof world>;

/** The pro tier with a tiny chunk budget (and fan-out threshold), so a small grid on daily bars fans out into several chunks. */
function tinyChunks(chunkBarEvaluations: number): Record<Tier, TierSettings> {
  return { ...TIER_SETTINGS, pro: { ...TIER_SETTINGS.pro, chunkBarEvaluations, fanOutAboveBarEvaluations: chunkBarEvaluations } };
}

/** 12 x 10 = 120 combinations of sma-cross (every fast < slow), ranked by Sharpe, top 15. */
const GRID = { fast: { from: 2, to: 24, step: 2 }, slow: { from: 30, to: 75, step: 5 } };

async function submitSweep(w: World, tiers: Record<Tier, TierSettings>, body: Record<string, unknown>, user = 'alice'): Promise<Job> {
  const res = await submitBacktest(principal(user, 'pro'), body, undefined, { ...w, tiers });
  return (await w.jobs.get(res.jobId)) as Job;
}

function deps(w: World, extra: Partial<ProcessJobDeps> = {}): ProcessJobDeps {
  return { jobs: w.jobs, queue: w.queue, marketData: w.marketData, clock: w.clock, random: () => 0, chunkProgressIntervalMs: 0, ...extra };
}

/** Takes the oldest message of the pro queue (what a worker would receive next). */
function take(w: World): JobMessage {
  const m = w.queue.messages.pro.shift();
  if (!m) throw new Error('the pro queue is empty');
  return m;
}

/** Runs every message in the pro queue once, in order, each as a first delivery; returns the outcomes. */
async function drain(w: World, d: ProcessJobDeps): Promise<ProcessOutcome[]> {
  const outcomes: ProcessOutcome[] = [];
  while (w.queue.messages.pro.length > 0) outcomes.push(await processJob(take(w), 1, d));
  return outcomes;
}

/** What one process computes for the same request: the engine's own sweep, stored as a job stores it. */
async function singleProcess(w: World, job: Job) {
  const { startMs, endMs } = requestRangeMs(job.request);
  const bars = await w.marketData.load(job.request.symbol, job.request.timeframe, startMs, endMs);
  return asStored(toJobResult(await runBacktest(bars, specFromRequest(job.request))));
}

/** A result as stored (JSON), without its provenance (engine version and data fingerprint: not what is compared here). */
function asStored(result: unknown): unknown {
  const { provenance: _provenance, ...rest } = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
  return rest;
}

describeWithSharedData('fan-out on real data (ORCL daily)', ['ORCL-1d.csv'], () => {
  const orcl = () => parseCsv(readFileSync(sharedDataFile('ORCL-1d.csv'), 'utf8'), { source: 'ORCL-1d.csv' });
  const body = submitBody({ symbol: 'ORCL', startDate: '2000-01-01', endDate: '2013-12-31', params: GRID, sweep: { metric: 'sharpe', top: 15 } });

  it('merges the chunks into exactly the single-process result: top rows, best parameters, stats, trades, curve, grid', async () => {
    const w = world();
    w.marketData.add('ORCL', '1d', orcl());
    // No symbol catalog here, so the estimate counts calendar days (5,113 x 120 combinations): 11 chunks of 60 k.
    const job = await submitSweep(w, tinyChunks(60_000), body);
    expect(job.combinations).toBe(120);
    expect(job.chunks).toBe(Math.ceil(job.barEvaluations! / 60_000));
    expect(job.chunks).toBeGreaterThan(5);

    const outcomes = await drain(w, deps(w));
    expect(outcomes[0]).toEqual({ kind: 'dispatched', chunks: job.chunks });
    expect(outcomes.at(-1)).toEqual({ kind: 'done', status: 'succeeded' });
    expect(outcomes.filter((o) => o.kind === 'chunk')).toHaveLength(job.chunks! - 1);

    const done = (await w.jobs.get(job.jobId)) as Job;
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, chunksDone: job.chunks });
    const expected = await singleProcess(w, done);
    expect(done.result?.sweep?.top).toHaveLength(15);
    // The whole stored result, compared as stored (JSON): ranking, params, stats, trades, curve and grid.
    expect(asStored(done.result)).toEqual(expected);
    expect(done.result?.sweep?.grid?.params).toEqual(['fast', 'slow']);
  });

  it('ranks NaN and Infinity metrics across chunks as one process does (profit factor with no losing trade)', async () => {
    const w = world();
    w.marketData.add('ORCL', '1d', orcl());
    const pf = submitBody({ symbol: 'ORCL', startDate: '2009-01-01', endDate: '2010-06-30', params: { fast: { from: 2, to: 40, step: 2 }, slow: { from: 60, to: 200, step: 20 } }, sweep: { metric: 'profitFactor', top: 20 } });
    const job = await submitSweep(w, tinyChunks(20_000), pf);
    expect(job.chunks).toBeGreaterThan(3);
    await drain(w, deps(w));
    const done = (await w.jobs.get(job.jobId)) as Job;
    expect(done.status).toBe('succeeded');
    const expected = await singleProcess(w, done);
    expect(asStored(done.result)).toEqual(expected);
  });
});

describe('fan-out: chunks, fan-in, credits', () => {
  // SYNTH-A daily 2010-2019: 2,608 bars; 120 combinations = 312,960 bar evaluations.
  const body = submitBody({ params: GRID });

  it('keeps jobs up to the old single-job limit (1e8) on the single-message path: no chunks, one credit', async () => {
    const w = world();
    const job = await submitSweep(w, TIER_SETTINGS, body);
    expect(job.chunks).toBeUndefined();
    expect(job.creditsCharged).toBe(1);
    expect(await drain(w, deps(w))).toEqual([{ kind: 'done', status: 'succeeded' }]);
    // About 8,870 daily bars x 5,000 combinations = 44 M: above the pro chunk budget (2.5e7) but within 1e8, so it
    // runs as one job, as it did before fan-out existed.
    const bigger = await submitSweep(w, TIER_SETTINGS, submitBody({ startDate: '1990-01-01', endDate: '2023-12-31', params: { fast: { from: 1, to: 50, step: 1 }, slow: { from: 61, to: 160, step: 1 } } }));
    expect(bigger.barEvaluations).toBeGreaterThan(TIER_SETTINGS.pro.chunkBarEvaluations);
    expect(bigger.barEvaluations).toBeLessThanOrEqual(TIER_SETTINGS.pro.fanOutAboveBarEvaluations);
    expect(bigger.chunks).toBeUndefined();
  });

  it('prices credits by work (one per started 1e8 bar evaluations), charged once at submit', async () => {
    const w = world();
    // 2,608 bars x 4,800 combinations (60 x 80) = 12.5 M bar evaluations: still one credit.
    const small = await submitSweep(w, TIER_SETTINGS, submitBody({ params: { fast: { from: 1, to: 60, step: 1 }, slow: { from: 61, to: 140, step: 1 } } }));
    expect(small.creditsCharged).toBe(1);
    // One-minute synthetic bars for 2024 (262 weekdays x 420, counted exactly) x 5,000 combinations = 550 M: 6 credits.
    const big = await submitSweep(w, TIER_SETTINGS, submitBody({ timeframe: '1m', startDate: '2024-01-01', endDate: '2024-12-31', params: { fast: { from: 1, to: 50, step: 1 }, slow: { from: 51, to: 150, step: 1 } } }));
    expect(big.combinations).toBe(5000);
    expect(big.barEvaluations).toBe(262 * 420 * 5000);
    expect(big.creditsCharged).toBe(6);
    expect(big.chunks).toBe(Math.ceil((262 * 420 * 5000) / TIER_SETTINGS.pro.chunkBarEvaluations));
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits - 1 - 6);
  });

  it('slices the grid into contiguous chunks that cover every combination once', () => {
    for (const [chunks, combinations] of [[7, 120], [3, 3], [22, 5000], [100, 101]]) {
      let next = 0;
      for (let c = 0; c < chunks; c++) {
        const { from, to } = chunkRange(c, chunks, combinations);
        expect(from).toBe(next);
        expect(to).toBeGreaterThan(from);
        next = to;
      }
      expect(next).toBe(combinations);
    }
  });

  it('counts a duplicate delivery of a recorded chunk once and still merges the same result', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const messages = [...w.queue.messages.pro];
    expect(messages).toHaveLength(job.chunks!);
    w.queue.messages.pro.length = 0;
    expect(await processJob(messages[2], 1, deps(w))).toEqual({ kind: 'chunk', recorded: true });
    // The same message again (SQS at-least-once), and a stale receive of it.
    expect(await processJob(messages[2], 1, deps(w))).toEqual({ kind: 'skip', reason: 'chunk already recorded' });
    expect(await processJob(messages[2], 2, deps(w))).toEqual({ kind: 'skip', reason: 'chunk already recorded' });
    expect((await w.jobs.get(job.jobId))?.chunksDone).toBe(1);
    for (const m of messages.filter((_, i) => i !== 2)) await processJob(m, 1, deps(w));
    const done = (await w.jobs.get(job.jobId)) as Job;
    expect(done).toMatchObject({ status: 'succeeded', chunksDone: job.chunks });
    expect(asStored(done.result)).toEqual(await singleProcess(w, done));
    // After the job ended, a late copy changes nothing.
    expect(await processJob(messages[0], 3, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits - 1);
  });

  it('survives a worker crash before the chunk is recorded and one between recording the last chunk and the merge', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const messages = [...w.queue.messages.pro];
    w.queue.messages.pro.length = 0;
    // Crash 1: chunk 0 dies as it tries to record (the process is gone: nothing is written, the message comes back).
    const crashOnRecord = crashing(w.jobs, 'recordChunk');
    await expect(processJob(messages[0], 1, deps(w, { jobs: crashOnRecord }))).rejects.toThrow('worker crashed');
    expect((await w.jobs.get(job.jobId))?.chunksDone).toBe(0);
    expect(await processJob(messages[0], 2, deps(w))).toEqual({ kind: 'chunk', recorded: true });
    for (const m of messages.slice(1, -1)) await processJob(m, 1, deps(w));
    // Crash 2: the last chunk is recorded, then the worker dies before storing the merged result.
    const crashOnComplete = crashing(w.jobs, 'complete');
    await expect(processJob(messages.at(-1)!, 1, deps(w, { jobs: crashOnComplete }))).rejects.toThrow('worker crashed');
    expect(await w.jobs.get(job.jobId)).toMatchObject({ status: 'running', chunksDone: job.chunks });
    // Its redelivery has nothing to compute but owes the merge.
    expect(await processJob(messages.at(-1)!, 2, deps(w))).toEqual({ kind: 'done', status: 'succeeded' });
    const done = (await w.jobs.get(job.jobId)) as Job;
    expect(done.chunksDone).toBe(job.chunks);
    expect(w.jobs.partialCount()).toBe(job.chunks);
    expect(asStored(done.result)).toEqual(await singleProcess(w, done));
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits - 1);
  });

  it('a cancel during fan-out stops every chunk and refunds once', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const messages = [...w.queue.messages.pro];
    w.queue.messages.pro.length = 0;
    await processJob(messages[0], 1, deps(w));
    await processJob(messages[1], 1, deps(w));
    await w.jobs.cancel(job.jobId, 'alice', new Date(w.clock.now()).toISOString());
    expect(await processJob(messages[2], 1, deps(w))).toEqual({ kind: 'done', status: 'cancelled' });
    for (const m of messages.slice(3)) expect(await processJob(m, 1, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    // A duplicate of a chunk that had run, after the cancel: nothing.
    expect(await processJob(messages[0], 2, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    expect(await w.jobs.get(job.jobId)).toMatchObject({ status: 'cancelled', chunksDone: 2 });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('a cancel that arrives while the chunks are dispatched is confirmed by the dispatcher, not shown as "Sweeping"', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    const dispatch = take(w);
    const stamps: string[] = [];
    const queue = new Proxy(w.queue, {
      get(target, prop, receiver) {
        if (prop === 'enqueue') {
          return async (m: JobMessage) => {
            // The user cancels while the first chunk message is on its way.
            if (stamps.length === 0) {
              stamps.push('cancel');
              expect(await w.jobs.cancel(job.jobId, 'alice', new Date(w.clock.now()).toISOString())).toMatchObject({ message: 'Cancelling' });
            }
            return target.enqueue(m);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(await processJob(dispatch, 1, deps(w, { queue }))).toEqual({ kind: 'done', status: 'cancelled' });
    expect(stamps).toEqual(['cancel']);
    const after = await w.jobs.get(job.jobId);
    expect(after).toMatchObject({ status: 'cancelled' });
    expect(after?.message ?? '').not.toMatch(/^Sweeping/);
    // Every chunk message sent before the cancel was seen drops as terminal; the credit came back once.
    expect(w.queue.messages.pro.length).toBe(job.chunks);
    for (const outcome of await drain(w, deps(w))) expect(outcome).toEqual({ kind: 'skip', reason: 'terminal' });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('a cancel while a chunk computes aborts it through the progress write', async () => {
    const w = world();
    // Two chunks of 1,000 combinations (a few hundred ms of engine time each): the engine reports progress mid-chunk.
    const big = submitBody({ params: { fast: { from: 2, to: 41, step: 1 }, slow: { from: 42, to: 91, step: 1 } } });
    const job = await submitSweep(w, tinyChunks(2_700_000), big);
    expect(job.chunks).toBe(2);
    await processJob(take(w), 1, deps(w));
    const first = take(w);
    let cancelled = false;
    const jobs = new Proxy(w.jobs, {
      get(target, prop, receiver) {
        if (prop === 'saveChunkProgress') {
          return async (...args: Parameters<JobRepository['saveChunkProgress']>) => {
            if (!cancelled) {
              cancelled = true;
              await target.cancel(job.jobId, 'alice', args[3]);
            }
            return target.saveChunkProgress(...args);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(await processJob(first, 1, deps(w, { jobs }))).toEqual({ kind: 'done', status: 'cancelled' });
    expect(cancelled).toBe(true);
    expect(w.jobs.partialCount()).toBe(0);
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('a failing chunk retries alone (2/4/8 s) and, when its retries are exhausted, fails the job with one refund', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const messages = [...w.queue.messages.pro];
    w.queue.messages.pro.length = 0;
    await processJob(messages[0], 1, deps(w));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      w.marketData.failLoads = 1;
      const outcome = await processJob(messages[1], attempt, deps(w));
      expect(outcome.kind).toBe('retry');
      if (outcome.kind === 'retry') delays.push(outcome.delaySeconds);
      // The job goes on meanwhile: another chunk records normally.
      expect((await w.jobs.get(job.jobId))?.status).toBe('running');
    }
    expect(delays).toEqual([2, 4, 8]);
    await processJob(messages[2], 1, deps(w));
    w.marketData.failLoads = 1;
    const last = await processJob(messages[1], 4, deps(w));
    expect(last.kind).toBe('dead');
    const failed = (await w.jobs.get(job.jobId)) as Job;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
    expect(failed.error?.message).toContain('Chunk 2 of');
    for (const m of messages.slice(3)) expect(await processJob(m, 1, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('aggregates progress over chunks, never backwards, 1 only with the result', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const seen: number[] = [];
    const jobs = new Proxy(w.jobs, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const out = await (value as (...a: unknown[]) => unknown).apply(target, args);
          const now = await target.get(job.jobId);
          if (now) seen.push(now.progress);
          return out;
        };
      },
    });
    await drain(w, deps(w, { jobs }));
    expect(seen.length).toBeGreaterThan(job.chunks!);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.filter((p) => p === 1)).toHaveLength(seen.length - seen.indexOf(1));
    expect(seen.at(-1)).toBe(1);
  });

  it('recovers a fanned-out job whose chunk messages were lost: the sweeper requeues it and the re-dispatch sends only the missing chunks', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    await processJob(take(w), 1, deps(w));
    const messages = [...w.queue.messages.pro];
    w.queue.messages.pro.length = 0;
    // Two chunks run; the other messages vanish (a purged or recreated queue).
    await processJob(messages[0], 1, deps(w));
    await processJob(messages[3], 1, deps(w));
    w.clock.advance(LOST_MESSAGE_AFTER_MS + 1000);
    const report = await requeueStuckJobs(w);
    expect(report.recovered).toEqual([job.jobId]);
    expect(await w.jobs.get(job.jobId)).toMatchObject({ status: 'queued', chunksDone: 2 });
    // The fresh message dispatches again: only the chunks without a partial.
    expect(await processJob(take(w), 1, deps(w))).toEqual({ kind: 'dispatched', chunks: job.chunks! - 2 });
    expect(w.queue.messages.pro.map((m) => m.chunk)).not.toContain(0);
    expect(w.queue.messages.pro.map((m) => m.chunk)).not.toContain(3);
    await drain(w, deps(w));
    const done = (await w.jobs.get(job.jobId)) as Job;
    expect(done).toMatchObject({ status: 'succeeded', chunksDone: job.chunks });
    expect(asStored(done.result)).toEqual(await singleProcess(w, done));
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits - 1);
  });

  it('merges at the dispatch retry when every chunk finished while the dispatch waited out a retry', async () => {
    const w = world();
    const job = await submitSweep(w, tinyChunks(60_000), body);
    const dispatch = take(w);
    await processJob(dispatch, 1, deps(w));
    const messages = [...w.queue.messages.pro];
    w.queue.messages.pro.length = 0;
    // The dispatch attempt failed after sending (say, its final write timed out) and the job waits for its retry.
    w.jobs.update(job.jobId, { status: 'queued' });
    const outcomes = [];
    for (const m of messages) outcomes.push(await processJob(m, 1, deps(w)));
    // The last chunk could not complete a queued job.
    expect(outcomes.at(-1)).toEqual({ kind: 'skip', reason: 'lost ownership' });
    expect(await w.jobs.get(job.jobId)).toMatchObject({ status: 'queued', chunksDone: job.chunks });
    // The retry of the dispatch finds nothing to send and merges.
    expect(await processJob(dispatch, 2, deps(w))).toEqual({ kind: 'done', status: 'succeeded' });
    expect(w.queue.messages.pro).toEqual([]);
    expect(asStored((await w.jobs.get(job.jobId))?.result)).toEqual(await singleProcess(w, (await w.jobs.get(job.jobId)) as Job));
  });

  it('keeps NaN and Infinity through the partial encoding', () => {
    const slice = { top: [{ params: { fast: 1 }, stats: { sharpe: Number.NaN, profitFactor: Number.POSITIVE_INFINITY, worst: Number.NEGATIVE_INFINITY } }], metrics: [1.5, Number.NaN] };
    const back = decodeSlice(encodeSlice(slice as never));
    expect(back).toEqual(slice);
  });
});

/** The repository of a worker that dies (throws, writing nothing) the first time it reaches `method`. */
function crashing(jobs: JobRepository, method: 'recordChunk' | 'complete'): JobRepository {
  let crashed = false;
  return new Proxy(jobs, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === method && !crashed) {
        return async () => {
          crashed = true;
          throw new Error('worker crashed');
        };
      }
      return value.bind(target);
    },
  });
}

describe('fan-out items on the Jobs stream', () => {
  it('the notifier ignores chunk partials and the throughput item (not jobs: no status, no subscribers)', async () => {
    const { jobFromItem } = await import('../../lambdas/adapters/dynamodb-job-item.ts');
    const { notifyProgress } = await import('../../lambdas/core/use-cases/notify-progress.ts');
    const w = world();
    let lookups = 0;
    const connections = new Proxy(w.connections, {
      get(target, prop, receiver) {
        if (prop === 'subscriberDetails') lookups += 1;
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const chunk = jobFromItem({ jobId: 'job-1#chunk#3', partial: '{}', recordedAt: 'now', expiresAt: 1 });
    const throughput = jobFromItem({ jobId: 'TIER#pro#throughput', barEvaluationsPerSecond: 1e7, deliverySeconds: 2, samples: 3, updatedAt: 'now' });
    expect(await notifyProgress({ newJob: chunk }, { connections, push: w.push })).toEqual({ relevant: false, sent: 0, gone: 0 });
    expect(await notifyProgress({ oldJob: throughput, newJob: throughput }, { connections, push: w.push })).toEqual({ relevant: false, sent: 0, gone: 0 });
    expect(lookups).toBe(0);
  });
});
