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

/**
 * About 2,000 combinations over 6,260 daily bars: long enough to cancel mid-run. The tests below need the engine to
 * yield to the event loop at least once (it does after 8 ms of work, engine/scheduler.ts) so a timer or a progress
 * write can happen mid-run. This grid took about 1 s with the engine of early today and 0.1 s with the faster one in
 * progress; a much smaller grid risks finishing inside one slice as the engine gets faster.
 */
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

  // Two copies of one delivery racing for the claim run on DynamoDB Local in test/contract/process-job-races.test.ts:
  // this fake is synchronous, so copies started together here would only ever run one after the other.
  it('skips a second copy of the same attempt that arrives after the first claimed the job', async () => {
    const w = world();
    const { jobId, message } = await submitted(w);
    const first = await processJob(message, 1, deps(w));
    const copy = await processJob(message, 1, deps(w));
    expect([first, copy]).toEqual([{ kind: 'done', status: 'succeeded' }, { kind: 'skip', reason: 'terminal' }]);
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
    const written: number[] = [];
    const recordAndSave = jobs.saveProgress;
    jobs.saveProgress = async (...args) => {
      written.push(args[2]);
      return recordAndSave(...args);
    };
    expect(await processJob(message, 1, deps(w, { clock: systemClock }))).toEqual({ kind: 'done', status: 'cancelled' });
    // The first write reported the cancel and the engine stopped there: no later progress, no final value.
    expect(written).toHaveLength(1);
    expect(written[0]).toBeLessThan(1);
    expect(await jobs.get(jobId)).toMatchObject({ status: 'cancelled' });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.pro.initialCredits);
  });

  it('notices a cancel through the periodic check when no progress write is due, and stops the engine mid-run', async () => {
    const w = world();
    const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
    // The user cancels just as the first periodic check reads the row (an event, not a timer racing the engine).
    const get = w.jobs.get.bind(w.jobs);
    let reads = 0;
    w.jobs.get = async (id) => {
      reads += 1;
      if (reads === 1) await w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:02.000Z');
      return get(id);
    };
    const written: number[] = [];
    const saveProgress = w.jobs.saveProgress.bind(w.jobs);
    w.jobs.saveProgress = async (...args) => {
      written.push(args[2]);
      return saveProgress(...args);
    };

    const outcome = await processJob(message, 1, deps(w, { clock: systemClock, progressIntervalMs: 60_000, cancelPollMs: 20 }));

    expect(outcome).toEqual({ kind: 'done', status: 'cancelled' });
    // Noticed at the first check: the engine was aborted, so its final progress (1) was never written.
    expect(reads).toBe(1);
    expect(written).not.toContain(1);
    expect(await w.jobs.get(jobId)).toMatchObject({ status: 'cancelled' });
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
    // Already due: the deadline's timer fires at the engine's first yield, however fast the engine has become.
    const outcome = await processJob(message, 1, deps(w, { clock: systemClock, deadline: Date.now() }));
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
  describe('failure branches', () => {
    it('fails a request with no bars in its dates at once (no_data), refunds, and does not retry', async () => {
      const w = world();
      // The world holds SYNTH-A from 2000 to 2023 only.
      const { jobId, message } = await submitted(w, submitBody({ startDate: '2024-06-01', endDate: '2024-12-31' }), 'basic');

      const outcome = await processJob(message, 1, deps(w));

      expect(outcome).toEqual({ kind: 'done', status: 'failed' });
      expect(await w.jobs.get(jobId)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'no_data', message: 'No 1d bars for SYNTH-A in the requested dates' } });
      expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits);
    });

    it('finishes the job when every progress write fails, and reports each failure', async () => {
      const w = world();
      const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
      let attempts = 0;
      w.jobs.saveProgress = async () => {
        attempts += 1;
        throw new Error('ProvisionedThroughputExceeded');
      };
      const errors: string[] = [];

      const outcome = await processJob(message, 1, deps(w, { clock: systemClock, progressIntervalMs: 0, onError: (_e, what) => errors.push(what) }));

      expect(outcome).toEqual({ kind: 'done', status: 'succeeded' });
      expect(await w.jobs.get(jobId)).toMatchObject({ status: 'succeeded', progress: 1, attempts: 1 });
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(errors).toEqual(Array.from({ length: attempts }, () => 'progress write failed'));
    });

    it('finishes the job when the cancel checks fail, and reports each failure', async () => {
      const w = world();
      const { jobId, message } = await submitted(w, submitBody({ params: BIG_GRID }));
      const get = w.jobs.get.bind(w.jobs);
      let running = true;
      let failedReads = 0;
      w.jobs.get = async (id) => {
        // Only the reads made while the attempt runs fail; the test's own reads after it go through.
        if (running) {
          failedReads += 1;
          throw new Error('connection reset');
        }
        return get(id);
      };
      const errors: string[] = [];

      const outcome = await processJob(message, 1, deps(w, { clock: systemClock, progressIntervalMs: 60_000, cancelPollMs: 5, onError: (_e, what) => errors.push(what) }));
      running = false;

      expect(outcome).toEqual({ kind: 'done', status: 'succeeded' });
      expect(await w.jobs.get(jobId)).toMatchObject({ status: 'succeeded', progress: 1 });
      expect(failedReads).toBeGreaterThanOrEqual(1);
      expect(errors).toEqual(Array.from({ length: failedReads }, () => 'cancel poll failed'));
    });

    it('confirms a cancel that arrives while the attempt is failing, instead of retrying: cancelled, refunded', async () => {
      const w = world();
      const { jobId, message } = await submitted(w, submitBody(), 'basic');
      const load = w.marketData.load.bind(w.marketData);
      // The data store fails, and the user's cancel lands while that failure is on its way back.
      w.marketData.load = async () => {
        await w.jobs.cancel(jobId, 'alice', '2024-03-01T12:00:05.000Z');
        throw new Error('market data store unavailable');
      };
      const errors: string[] = [];

      const outcome = await processJob(message, 1, deps(w, { onError: (_e, what) => errors.push(what) }));

      expect(outcome).toEqual({ kind: 'done', status: 'cancelled' });
      expect(await w.jobs.get(jobId)).toMatchObject({ status: 'cancelled', attempts: 1 });
      expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits);
      expect(errors).toEqual([`attempt 1 of job ${jobId} failed`]);
      // A late redelivery finds it finished.
      w.marketData.load = load;
      expect(await processJob(message, 2, deps(w))).toEqual({ kind: 'skip', reason: 'terminal' });
    });
  });
});
