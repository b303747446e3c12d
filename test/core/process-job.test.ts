import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import { MAX_STORED_TRADES } from '../../lambdas/core/job-result.ts';
import { systemClock } from '../../lambdas/core/ports/clock.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { processJob, retryDelayWithJitter, type AttemptReport, type ProcessJobDeps } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { InMemoryJobRepository } from '../support/fakes/index.ts';
import { principal, submitBody, world } from './support.ts';

type World = ReturnType<typeof world>;

async function submitted(w: World, body = submitBody(), tier: 'free' | 'basic' | 'pro' = 'pro'): Promise<{ jobId: string; message: unknown }> {
  const res = await submitBacktest(principal('alice', tier), body, undefined, w);
  return { jobId: res.jobId, message: w.queue.messages[tier].at(-1) };
}

function deps(w: World, extra: Partial<ProcessJobDeps> = {}): ProcessJobDeps {
  return { jobs: w.jobs, marketData: w.marketData, clock: w.clock, random: () => 0, ...extra };
}

/** About 2,000 combinations over 6,260 daily bars: long enough (~1 s) to cancel mid-run. */
const BIG_GRID = { fast: { from: 2, to: 41, step: 1 }, slow: { from: 42, to: 91, step: 1 } };

describe('processJob', () => {
  it('runs the real engine and stores the result: succeeded, progress 1, stats of the requested dates', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    const outcome = await processJob(message, 1, deps(w));
    expect(outcome).toEqual({ kind: 'done', status: 'succeeded' });
    const job = (await w.jobs.get(jobId)) as Job;
    expect(job).toMatchObject({ status: 'succeeded', progress: 1, attempts: 1 });
    expect(job.result?.stats.start.startsWith('2010-01')).toBe(true);
    expect(job.result?.stats.end.startsWith('2019-12')).toBe(true);
    expect(job.result?.tradesTotal).toBe(job.result?.trades.length);
    expect(job.result?.equityCurve.time.length).toBeGreaterThan(10);
  });

  it('caps stored trades at MAX_STORED_TRADES and keeps the true total', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ params: { fast: 1, slow: 2, allowShort: true }, startDate: '2000-01-01', endDate: '2023-12-31' }));
    await processJob(message, 1, deps(w));
    const job = (await w.jobs.get(jobId)) as Job;
    expect(job.result?.tradesTotal).toBeGreaterThan(MAX_STORED_TRADES);
    expect(job.result?.trades).toHaveLength(MAX_STORED_TRADES);
    expect(JSON.stringify(job).length).toBeLessThan(350_000);
  });

  it('runs a duplicate delivery only once: the second copy of the same attempt is skipped', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    const [a, b] = await Promise.all([processJob(message, 1, deps(w)), processJob(message, 1, deps(w))]);
    expect([a.kind, b.kind].sort()).toEqual(['done', 'skip']);
    expect((await w.jobs.get(jobId))?.status).toBe('succeeded');
  });

  it('skips a redelivery of a finished job without touching it', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    await processJob(message, 1, deps(w));
    const before = await w.jobs.get(jobId);
    expect(await processJob(message, 2, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    expect(await w.jobs.get(jobId)).toEqual(before);
  });

  it('re-runs a job whose worker crashed (running with an older attempt) and completes it once', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z'); // attempt 1 died here
    expect(await processJob(message, 2, deps(w))).toEqual({ kind: 'done', status: 'succeeded' });
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('ignores a stale copy (lower receive count) of a job a retry re-queued', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    w.marketData.failLoads = 1;
    expect((await processJob(message, 1, deps(w))).kind).toBe('retry');
    expect(await processJob(message, 1, deps(w))).toEqual({ kind: 'skip', reason: 'newer-attempt' });
    expect((await w.jobs.get(jobId))?.status).toBe('queued');
  });

  it('retries a transient failure after 2, 4, 8 s (+0..25 % jitter), then fails with a refund and goes dead on the 4th', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody(), 'basic');
    w.marketData.failLoads = 4;
    const outcomes = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      outcomes.push(await processJob(message, attempt, deps(w)));
      if (attempt < 4) expect(await w.jobs.get(jobId)).toMatchObject({ status: 'queued', attempts: attempt });
    }
    expect(outcomes).toEqual([
      { kind: 'retry', delaySeconds: 2 },
      { kind: 'retry', delaySeconds: 4 },
      { kind: 'retry', delaySeconds: 8 },
      { kind: 'dead', reason: 'Failed after 4 attempts (last: internal error)' },
    ]);
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits);
    // A late redelivery after the failure changes nothing.
    expect((await processJob(message, 5, deps(w))).kind).toBe('skip');
  });

  it('keeps jitter within +0..25 % and in whole seconds', () => {
    for (const [attempt, base] of [[1, 2], [2, 4], [3, 8]] as const) {
      const delays = [0, 0.3, 0.5, 0.99, 1].map((r) => retryDelayWithJitter(attempt, () => r));
      for (const d of delays) {
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeLessThanOrEqual(Math.round(base * 1.25));
      }
      expect(delays[0]).toBe(base);
    }
  });

  it('fails an unknown symbol at once (no retry) with unknown_symbol and a refund', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ symbol: 'NOPE' }), 'free');
    expect(await processJob(message, 1, deps(w))).toEqual({ kind: 'done', status: 'failed' });
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'unknown_symbol' } });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.free.initialCredits);
  });

  it('fails a spec the engine refuses at once with invalid_spec', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    w.jobs.update(jobId, { request: { ...(await w.jobs.get(jobId))!.request, params: { fast: 40, slow: 20 } } });
    expect(await processJob(message, 1, deps(w))).toEqual({ kind: 'done', status: 'failed' });
    const job = await w.jobs.get(jobId);
    expect(job?.error?.code).toBe('invalid_spec');
    expect(job?.error?.message).toContain('fast');
  });

  it('parks an unreadable message for the DLQ', async () => {
    const w = world();
    expect(await processJob({ nope: true }, 1, deps(w))).toEqual({ kind: 'dead', reason: 'malformed message' });
  });

  it('throttles progress writes (a frozen clock allows the first and the final one only) and always writes the final value', async () => {
    const w = world();
    let calls = 0;
    const jobs = w.jobs;
    const original = jobs.saveProgress.bind(jobs);
    const seen: number[] = [];
    jobs.saveProgress = async (...args) => {
      calls += 1;
      seen.push(args[2]);
      return original(...args);
    };
    const { message } = await submitted(w, submitBody({ params: BIG_GRID }));
    await processJob(message, 1, deps(w));
    expect(calls).toBeLessThanOrEqual(2);
    expect(seen.at(-1)).toBe(1);
  });

  it('writes progress at most every 250 ms of wall time during a long sweep', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
    const started = performance.now();
    await processJob(message, 1, deps(w, { clock: systemClock }));
    const elapsed = performance.now() - started;
    const writes = w.jobs.progressWrites.get(jobId) ?? 0;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 2);
  });

  it('stops a running job when a progress write reports a cancel request, and refunds', async () => {
    const w = world();
    const jobs = w.jobs;
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }), 'pro');
    const original = jobs.saveProgress.bind(jobs);
    jobs.saveProgress = async (...args) => {
      await jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z');
      return original(...args);
    };
    const started = performance.now();
    expect(await processJob(message, 1, deps(w, { clock: systemClock }))).toEqual({ kind: 'done', status: 'cancelled' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await jobs.get(jobId)).toMatchObject({ status: 'cancelled' });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('notices a cancel through the periodic check when no progress write is due', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
    const started = performance.now();
    setTimeout(() => void w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z'), 50);
    const outcome = await processJob(message, 1, deps(w, { clock: systemClock, progressIntervalMs: 60_000, cancelPollMs: 40 }));
    const elapsed = performance.now() - started;
    expect(outcome).toEqual({ kind: 'done', status: 'cancelled' });
    expect(elapsed).toBeLessThan(400);
  });

  it('confirms a cancel requested before a redelivered attempt starts, without running the engine', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    await w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z');
    const loads = w.marketData.loads;
    expect(await processJob(message, 2, deps(w))).toEqual({ kind: 'done', status: 'cancelled' });
    expect(w.marketData.loads).toBe(loads);
  });

  it('skips a job cancelled while queued', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    await w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z');
    expect(await processJob(message, 1, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
  });

  it('aborts a run that reaches its deadline and schedules a retry (worker timeout)', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
    const outcome = await processJob(message, 1, deps(w, { clock: systemClock, deadline: Date.now() + 30 }));
    expect(outcome).toEqual({ kind: 'retry', delaySeconds: 2 });
    expect((await w.jobs.get(jobId))?.message).toContain('worker timeout');
  });

  it('gives up quietly when another attempt took the job over mid-run', async () => {
    const w = world();
    const jobs = w.jobs as InMemoryJobRepository;
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
    const original = jobs.saveProgress.bind(jobs);
    jobs.saveProgress = async (...args) => {
      jobs.update(jobId, { attempts: 2 });
      return original(...args);
    };
    expect(await processJob(message, 1, deps(w, { clock: systemClock }))).toEqual({ kind: 'skip', reason: 'lost ownership' });
    expect((await jobs.get(jobId))?.status).toBe('running');
  });
  it('reports a claimed attempt once, after its outcome is stored: claim time, bars, run time; a duplicate claims nothing and reports nothing', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    w.clock.advance(4_000);
    const reports: { report: AttemptReport; stored: Promise<Job | undefined> }[] = [];
    // The in-memory get reads the row when called, so this is the job as it was when the report came.
    const onAttempt = (report: AttemptReport) => reports.push({ report: { ...report }, stored: w.jobs.get(jobId) });
    expect(await processJob(message, 1, deps(w, { onAttempt }))).toEqual({ kind: 'done', status: 'succeeded' });
    expect(await processJob(message, 1, deps(w, { onAttempt }))).toEqual({ kind: 'skip', reason: 'terminal' });
    const job = (await w.jobs.get(jobId))!;
    expect(reports).toHaveLength(1);
    expect(reports[0].report).toEqual({ attempt: 1, createdAt: '2024-03-01T12:00:00.000Z', claimedAt: '2024-03-01T12:00:04.000Z', bars: job.result!.stats.bars, runMs: 0 });
    expect((await reports[0].stored)?.status).toBe('succeeded');
  });

  it('a failing attempt report changes nothing about the outcome and goes to onError', async () => {
    const w = world();
    const { message } = await submitted(w);
    const errors: string[] = [];
    const outcome = await processJob(
      message,
      1,
      deps(w, {
        onAttempt: () => {
          throw new Error('metrics down');
        },
        onError: (_e, what) => errors.push(what),
      }),
    );
    expect(outcome).toEqual({ kind: 'done', status: 'succeeded' });
    expect(errors).toEqual(['attempt report failed']);
  });
});
