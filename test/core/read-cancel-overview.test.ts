import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lambdas/core/errors.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { cancelJob } from '../../lambdas/core/use-cases/cancel-job.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { queueOverview } from '../../lambdas/core/use-cases/queue-overview.ts';
import { getJob, listJobs } from '../../lambdas/core/use-cases/read-jobs.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { principal, submitBody, world } from './support.ts';

describe('getJob and listJobs', () => {
  it("hides another user's job as not found, and lets an admin read it", async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await expect(getJob(principal('mallory', 'pro'), jobId, w)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getJob(principal('root', 'free', true), jobId, w)).resolves.toMatchObject({ jobId, userId: 'alice' });
    await expect(getJob(principal('alice'), 'missing', w)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('returns the summary and links for one job, never the trades or curve, and only a summary in lists', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
    const full = await getJob(principal('alice', 'pro'), jobId, w);
    expect(full.result?.tradesTotal).toBeGreaterThan(0);
    expect(full.result).not.toHaveProperty('trades');
    expect(full.result).not.toHaveProperty('equityCurve');
    expect(full.links).toEqual({ self: `/backtests/${jobId}`, equity: `/backtests/${jobId}/equity`, trades: `/backtests/${jobId}/trades` });
    const page = await listJobs(principal('alice', 'pro'), {}, w);
    expect(page.items[0].result).toEqual({ params: full.result?.params, stats: full.result?.stats, tradesTotal: full.result?.tradesTotal });
    expect(page.items[0]).not.toHaveProperty('result.trades');
  });

  it('pages newest first with a cursor and filters by status', async () => {
    const w = world();
    for (let i = 0; i < 5; i++) {
      await submitBacktest(principal('bob', 'pro'), submitBody(), undefined, w);
      w.clock.advance(1000);
    }
    await submitBacktest(principal('carol', 'pro'), submitBody(), undefined, w);
    await cancelJob(principal('bob', 'pro'), 'job-0002', w);
    const first = await listJobs(principal('bob', 'pro'), { limit: '2' }, w);
    expect(first.items.map((j) => j.jobId)).toEqual(['job-0005', 'job-0004']);
    const second = await listJobs(principal('bob', 'pro'), { limit: '2', cursor: first.nextCursor! }, w);
    expect(second.items.map((j) => j.jobId)).toEqual(['job-0003', 'job-0002']);
    const third = await listJobs(principal('bob', 'pro'), { limit: '2', cursor: second.nextCursor! }, w);
    expect(third).toEqual({ items: [expect.objectContaining({ jobId: 'job-0001' })], nextCursor: null });
    const cancelled = await listJobs(principal('bob', 'pro'), { status: 'cancelled' }, w);
    expect(cancelled.items.map((j) => j.jobId)).toEqual(['job-0002']);
  });

  it('names each bad query value', async () => {
    const w = world();
    for (const [query, path] of [
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ status: 'done' }, 'status'],
      [{ cursor: 'garbage!' }, 'cursor'],
    ] as const) {
      const error = await listJobs(principal(), query, w).catch((e: unknown) => e);
      expect(error, JSON.stringify(query)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0].path).toBe(path);
    }
  });
});

describe('cancelJob', () => {
  it('cancels a queued job at once and refunds its credit; the worker then skips it', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    const job = await cancelJob(principal('alice', 'basic'), jobId, w);
    expect(job.status).toBe('cancelled');
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits);
    expect((await processJob(w.queue.messages.basic[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock })).kind).toBe('skip');
  });

  it('only flags a running job (the worker confirms and refunds), and a second cancel changes nothing', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    const job = await cancelJob(principal('alice', 'basic'), jobId, w);
    expect(job).toMatchObject({ status: 'running', cancelRequested: true });
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits - 1);
    await expect(cancelJob(principal('alice', 'basic'), jobId, w)).resolves.toMatchObject({ status: 'running', cancelRequested: true });
  });

  it('refuses a finished job with ConflictError and hides other users’ jobs', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await expect(cancelJob(principal('mallory', 'pro'), jobId, w)).rejects.toBeInstanceOf(NotFoundError);
    await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
    await expect(cancelJob(principal('alice', 'pro'), jobId, w)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('queueOverview', () => {
  it('reports per tier waiting, in flight, DLQ depth, oldest queued age and concurrency', async () => {
    const w = world();
    await submitBacktest(principal('a', 'pro'), submitBody(), undefined, w);
    w.clock.advance(90_000);
    await submitBacktest(principal('b', 'pro'), submitBody(), undefined, w);
    w.queue.inFlight.pro = 1;
    w.queue.deadLettered.free = 3;
    w.clock.advance(30_000);
    const overview = await queueOverview(principal('root', 'free', true), w);
    expect(overview.tiers).toEqual([
      { tier: 'free', waiting: 0, inFlight: 0, deadLettered: 3, oldestQueuedAgeSeconds: null, maxConcurrency: 5 },
      { tier: 'basic', waiting: 0, inFlight: 0, deadLettered: 0, oldestQueuedAgeSeconds: null, maxConcurrency: 20 },
      { tier: 'pro', waiting: 2, inFlight: 1, deadLettered: 0, oldestQueuedAgeSeconds: 120, maxConcurrency: 50 },
    ]);
  });

  it('is forbidden to non-admins', async () => {
    const w = world();
    await expect(queueOverview(principal('alice', 'pro'), w)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
