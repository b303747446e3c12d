import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  IdempotencyConflictError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../lambdas/core/errors.ts';
import { newJob, type Job } from '../../lambdas/core/job.ts';
import type { JobResult } from '../../lambdas/core/job-result.ts';
import type { JobRepository, SubmissionCharge } from '../../lambdas/core/ports/job-repository.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';

/** What the contract needs besides the port: a look at the user's credits, which the port keeps to itself. */
export interface JobRepositoryHarness {
  repo: JobRepository;
  /** Credits the user has now; undefined when the user has no account yet. */
  credits(userId: string): Promise<number | undefined>;
}

// Days in the near future: DynamoDB Local's TTL really deletes items whose expiry has passed, so fixed past dates
// would make idempotency records and day counters vanish mid-test.
const dayOffset = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const DAY = dayOffset(2);
const NEXT_DAY = dayOffset(3);
const T0 = Date.parse(`${DAY}T10:00:00.000Z`);
const at = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

function charge(overrides: Partial<SubmissionCharge> = {}): SubmissionCharge {
  return { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10, ...overrides };
}

function aJob(userId: string, options: { tier?: Tier; createdAt?: string; creditsCharged?: number } = {}): Job {
  return newJob({
    jobId: randomUUID(),
    userId,
    tier: options.tier ?? 'free',
    request: submitRequestSchema.parse({ strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A' }),
    combinations: 1,
    creditsCharged: options.creditsCharged ?? 1,
    now: options.createdAt ?? at(0),
  });
}

function aResult(): JobResult {
  const stats = {
    start: '2020-01-01T00:00:00.000Z', end: '2020-12-31T00:00:00.000Z', bars: 252, trades: 2, equityFinal: 11_000.5,
    equityPeak: 11_500, returnPct: 10.005, buyHoldReturnPct: 8.25, cagrPct: 10.1, volatilityAnnPct: 15.5, sharpe: 0.71,
    sortino: 1.02, calmar: 0.9, maxDrawdownPct: -11.2, avgDrawdownPct: -3.4, maxDrawdownDurationDays: 41, winRatePct: 50,
    bestTradePct: 12.5, worstTradePct: -2.25, avgTradePct: 5.125, profitFactor: 5.5, expectancyPct: 5.125, exposurePct: 62.3,
  };
  return {
    params: { fast: 10, slow: 30 },
    stats,
    trades: [
      { side: 'long', size: 100, entryTime: '2020-02-03T00:00:00.000Z', exitTime: '2020-05-04T00:00:00.000Z', entryPrice: 100, exitPrice: 112.5, pnl: 1250, returnPct: 12.5 },
      { side: 'long', size: 98, entryTime: '2020-06-01T00:00:00.000Z', exitTime: '2020-07-01T00:00:00.000Z', entryPrice: 112, exitPrice: 109.48, pnl: -246.96, returnPct: -2.25 },
    ],
    tradesTotal: 2,
    equityCurve: { time: [1577836800000, 1609372800000], equity: [10_000, 11_000.5] },
  };
}

/**
 * The JobRepository contract. Both the in-memory fake and the DynamoDB adapter run it, so the core's tests against
 * the fake say something true about production.
 */
export function describeJobRepositoryContract(name: string, makeHarness: () => Promise<JobRepositoryHarness>): void {
  describe(`JobRepository contract: ${name}`, () => {
    let repo: JobRepository;
    let credits: (userId: string) => Promise<number | undefined>;
    let user: string;

    beforeEach(async () => {
      const harness = await makeHarness();
      repo = harness.repo;
      credits = (userId) => harness.credits(userId);
      user = `user-${randomUUID()}`;
    });

    async function created(job: Job, c: SubmissionCharge = charge()): Promise<Job> {
      const outcome = await repo.create(job, c);
      expect(outcome.kind).toBe('created');
      return outcome.job;
    }

    async function running(job: Job, attempt = 1): Promise<Job> {
      await created(job);
      const outcome = await repo.claim(job.jobId, attempt, at(1000));
      expect(outcome.kind).toBe('claimed');
      return outcome.job as Job;
    }

    describe('create', () => {
      it('stores a queued job and debits a new user from the initial credits', async () => {
        const job = aJob(user);

        const outcome = await repo.create(job, charge({ credits: 2, initialCredits: 10 }));

        expect(outcome).toEqual({ kind: 'created', job });
        expect(await repo.get(job.jobId)).toEqual(job);
        expect(await credits(user)).toBe(8);
      });

      it('replays the earlier job for the same key and body, without charging again', async () => {
        const idem = { key: 'k1', requestHash: 'h1', expiresAt: T0 / 1000 + 86_400 };
        const first = aJob(user);
        await created(first, charge({ idempotency: idem }));

        const again = await repo.create(aJob(user, { createdAt: at(5000) }), charge({ idempotency: idem }));

        expect(again).toEqual({ kind: 'replayed', job: first });
        expect(await credits(user)).toBe(9);
      });

      it('refuses the same key with a different body', async () => {
        await created(aJob(user), charge({ idempotency: { key: 'k1', requestHash: 'h1', expiresAt: T0 / 1000 + 86_400 } }));
        const other = aJob(user, { createdAt: at(5000) });

        const attempt = repo.create(other, charge({ idempotency: { key: 'k1', requestHash: 'h2', expiresAt: T0 / 1000 + 86_400 } }));

        await expect(attempt).rejects.toBeInstanceOf(IdempotencyConflictError);
        expect(await repo.get(other.jobId)).toBeUndefined();
        expect(await credits(user)).toBe(9);
      });

      it('treats an expired idempotency record as absent', async () => {
        await created(aJob(user), charge({ idempotency: { key: 'k1', requestHash: 'h1', expiresAt: T0 / 1000 + 60 } }));
        const later = aJob(user, { createdAt: at(120_000) });

        const outcome = await repo.create(later, charge({ idempotency: { key: 'k1', requestHash: 'h2', expiresAt: T0 / 1000 + 86_400 } }));

        expect(outcome).toEqual({ kind: 'created', job: later });
      });

      it('keys idempotency per user', async () => {
        const idem = { key: 'shared', requestHash: 'h1', expiresAt: T0 / 1000 + 86_400 };
        await created(aJob(user), charge({ idempotency: idem }));
        const someoneElse = aJob(`${user}-other`);

        const outcome = await repo.create(someoneElse, charge({ idempotency: idem }));

        expect(outcome).toEqual({ kind: 'created', job: someoneElse });
      });

      it('refuses a job the credits do not cover, storing nothing', async () => {
        await created(aJob(user), charge({ credits: 1, initialCredits: 1 }));
        const broke = aJob(user, { createdAt: at(1000) });

        const attempt = repo.create(broke, charge({ credits: 1, initialCredits: 1 }));

        await expect(attempt).rejects.toSatisfy((e) => e instanceof InsufficientCreditsError && e.needed === 1 && e.available === 0);
        expect(await repo.get(broke.jobId)).toBeUndefined();
        expect(await credits(user)).toBe(0);
      });

      it('refuses a new user whose initial credits are below the cost', async () => {
        const job = aJob(user);

        await expect(repo.create(job, charge({ credits: 5, initialCredits: 3 }))).rejects.toBeInstanceOf(InsufficientCreditsError);
        expect(await repo.get(job.jobId)).toBeUndefined();
      });

      it('enforces the daily limit with the seconds left in the UTC day, charging nothing for the refused job', async () => {
        const limited = charge({ dailyLimit: 2 });
        await created(aJob(user, { createdAt: at(0) }), limited);
        await created(aJob(user, { createdAt: at(1) }), limited);
        // 10:00 UTC: 14 hours to midnight.
        const third = aJob(user, { createdAt: at(2) });

        const attempt = repo.create(third, limited);

        await expect(attempt).rejects.toSatisfy(
          (e) => e instanceof RateLimitedError && e.limit === 2 && e.retryAfterSeconds === 14 * 3600,
        );
        expect(await repo.get(third.jobId)).toBeUndefined();
        expect(await credits(user)).toBe(8);
      });

      it('counts the limit per day', async () => {
        await created(aJob(user), charge({ dailyLimit: 1 }));
        const nextDay = aJob(user, { createdAt: `${NEXT_DAY}T00:00:01.000Z` });

        const outcome = await repo.create(nextDay, charge({ dailyLimit: 1, day: NEXT_DAY }));

        expect(outcome.kind).toBe('created');
      });

      it('checks replay before the daily limit, and the limit before credits', async () => {
        const idem = { key: 'k1', requestHash: 'h1', expiresAt: T0 / 1000 + 86_400 };
        const first = aJob(user);
        await created(first, charge({ dailyLimit: 1, credits: 1, initialCredits: 1, idempotency: idem }));

        const replay = await repo.create(aJob(user, { createdAt: at(10) }), charge({ dailyLimit: 1, credits: 1, initialCredits: 1, idempotency: idem }));
        const overBoth = repo.create(aJob(user, { createdAt: at(20) }), charge({ dailyLimit: 1, credits: 1, initialCredits: 1 }));

        expect(replay).toEqual({ kind: 'replayed', job: first });
        await expect(overBoth).rejects.toBeInstanceOf(RateLimitedError);
      });

      it('refuses a second job with the same id', async () => {
        const job = aJob(user);
        await created(job);

        await expect(repo.create({ ...job, createdAt: at(5) }, charge())).rejects.toBeInstanceOf(ConflictError);
        expect(await credits(user)).toBe(9);
      });
    });

    describe('claim', () => {
      it('moves a queued job to running for the attempt', async () => {
        const job = aJob(user);
        await created(job);

        const outcome = await repo.claim(job.jobId, 1, at(1000));

        expect(outcome.kind).toBe('claimed');
        expect(outcome.job).toMatchObject({ status: 'running', attempts: 1, progress: 0, startedAt: at(1000), updatedAt: at(1000) });
        expect(await repo.get(job.jobId)).toEqual(outcome.job);
      });

      it('skips a duplicate delivery of the same attempt', async () => {
        const job = await running(aJob(user), 1);

        const outcome = await repo.claim(job.jobId, 1, at(2000));

        expect(outcome).toMatchObject({ kind: 'skip', reason: 'newer-attempt' });
        expect((await repo.get(job.jobId))?.startedAt).toBe(at(1000));
      });

      it('lets a newer attempt take over a running job (redelivery after a crash), and the old attempt loses it', async () => {
        const job = await running(aJob(user), 1);

        const outcome = await repo.claim(job.jobId, 2, at(3000));
        const oldWriter = await repo.saveProgress(job.jobId, 1, 0.5, 'stale', at(3500));

        expect(outcome.kind).toBe('claimed');
        expect(outcome.job).toMatchObject({ status: 'running', attempts: 2 });
        expect(oldWriter.owned).toBe(false);
        expect(await repo.complete(job.jobId, 1, aResult(), at(4000))).toBe(false);
      });

      it('does not let a stale message take a job a retry re-queued', async () => {
        const job = await running(aJob(user), 2);
        expect(await repo.scheduleRetry(job.jobId, 2, 'retrying in 4 s', at(2000))).toBe(true);

        const stale = await repo.claim(job.jobId, 1, at(2500));
        const next = await repo.claim(job.jobId, 3, at(6000));

        expect(stale).toMatchObject({ kind: 'skip', reason: 'newer-attempt' });
        expect(next.kind).toBe('claimed');
        expect(next.job).toMatchObject({ status: 'running', attempts: 3 });
      });

      it('skips a cancelled or finished job, and a missing one', async () => {
        const cancelled = aJob(user);
        await created(cancelled);
        await repo.cancel(cancelled.jobId, user, at(500));
        const done = await running(aJob(user, { createdAt: at(1) }));
        await repo.complete(done.jobId, 1, aResult(), at(2000));

        expect(await repo.claim(cancelled.jobId, 1, at(3000))).toMatchObject({ kind: 'skip', reason: 'terminal', job: { status: 'cancelled' } });
        expect(await repo.claim(done.jobId, 2, at(3000))).toMatchObject({ kind: 'skip', reason: 'terminal', job: { status: 'succeeded' } });
        expect(await repo.claim(randomUUID(), 1, at(3000))).toEqual({ kind: 'skip', job: undefined, reason: 'missing' });
      });
    });

    describe('saveProgress', () => {
      it('writes progress and message for the owning attempt, never lowering progress', async () => {
        const job = await running(aJob(user));

        const first = await repo.saveProgress(job.jobId, 1, 0.4, '40 %', at(2000));
        await repo.saveProgress(job.jobId, 1, 0.3, 'late message', at(2100));

        expect(first).toEqual({ owned: true, cancelRequested: false });
        expect(await repo.get(job.jobId)).toMatchObject({ progress: 0.4, message: 'late message', updatedAt: at(2100) });
      });

      it('tells the worker when a cancel was requested', async () => {
        const job = await running(aJob(user));
        await repo.cancel(job.jobId, user, at(1500));

        const outcome = await repo.saveProgress(job.jobId, 1, 0.5, '50 %', at(2000));

        expect(outcome).toEqual({ owned: true, cancelRequested: true });
      });

      it('changes nothing for an attempt that does not own the job', async () => {
        const job = await running(aJob(user), 2);

        const outcome = await repo.saveProgress(job.jobId, 1, 0.9, 'not mine', at(2000));

        expect(outcome.owned).toBe(false);
        expect(await repo.get(job.jobId)).toMatchObject({ progress: 0, attempts: 2 });
      });
    });

    describe('complete, fail, scheduleRetry', () => {
      it('completes for the owning attempt with the result intact', async () => {
        const job = await running(aJob(user));
        const result = aResult();

        expect(await repo.complete(job.jobId, 1, result, at(5000))).toBe(true);

        expect(await repo.get(job.jobId)).toMatchObject({ status: 'succeeded', progress: 1, finishedAt: at(5000), result });
        expect(await repo.complete(job.jobId, 1, result, at(6000))).toBe(false);
      });

      it('fails a running job once, refunding once', async () => {
        const job = await running(aJob(user));
        expect(await credits(user)).toBe(9);

        const first = await repo.fail(job.jobId, 1, { code: 'retries_exhausted', message: 'gave up' }, at(5000));
        const second = await repo.fail(job.jobId, 1, { code: 'retries_exhausted', message: 'gave up' }, at(5001));
        const cancelAfter = repo.cancel(job.jobId, user, at(5002));

        expect([first, second]).toEqual([true, false]);
        await expect(cancelAfter).rejects.toBeInstanceOf(ConflictError);
        expect(await repo.get(job.jobId)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted', message: 'gave up' }, finishedAt: at(5000) });
        expect(await credits(user)).toBe(10);
      });

      it('fails a queued job (unrecoverable before it ran), refunding', async () => {
        const job = aJob(user);
        await created(job);

        expect(await repo.fail(job.jobId, 1, { code: 'unknown_symbol', message: 'no such symbol' }, at(1000))).toBe(true);

        expect((await repo.get(job.jobId))?.status).toBe('failed');
        expect(await credits(user)).toBe(10);
      });

      it('does not let another attempt fail, complete or retry a running job', async () => {
        const job = await running(aJob(user), 2);

        const results = [
          await repo.fail(job.jobId, 1, { code: 'engine_error', message: 'x' }, at(2000)),
          await repo.complete(job.jobId, 3, aResult(), at(2000)),
          await repo.scheduleRetry(job.jobId, 1, 'retry', at(2000)),
        ];

        expect(results).toEqual([false, false, false]);
        expect(await repo.get(job.jobId)).toMatchObject({ status: 'running', attempts: 2 });
        expect(await credits(user)).toBe(9);
      });

      it('puts a running job back in the queue for a retry, keeping its attempts', async () => {
        const job = await running(aJob(user));

        expect(await repo.scheduleRetry(job.jobId, 1, 'Attempt 1 failed; retrying in 2 s', at(2000))).toBe(true);

        expect(await repo.get(job.jobId)).toMatchObject({ status: 'queued', attempts: 1, message: 'Attempt 1 failed; retrying in 2 s' });
        expect(await repo.listLive('free', 'queued', 1000)).toContainEqual({ jobId: job.jobId, createdAt: job.createdAt });
        expect((await repo.listLive('free', 'running', 1000)).map((x) => x.jobId)).not.toContain(job.jobId);
      });
    });

    describe('under concurrency', () => {
      it('lets exactly one of two simultaneous deliveries of an attempt take the job', async () => {
        const job = await running(aJob(user), 1);

        const outcomes = await Promise.all([repo.claim(job.jobId, 2, at(2000)), repo.claim(job.jobId, 2, at(2000))]);

        expect(outcomes.map((o) => o.kind).sort()).toEqual(['claimed', 'skip']);
      });

      it('refunds once when a failure and a confirmed cancel race', async () => {
        const job = await running(aJob(user));
        await repo.cancel(job.jobId, user, at(1500));

        const outcomes = await Promise.all([
          repo.fail(job.jobId, 1, { code: 'engine_error', message: 'x' }, at(2000)),
          repo.confirmCancelled(job.jobId, 1, at(2000)),
        ]);

        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await credits(user)).toBe(10);
      });
    });

    describe('cancel', () => {
      it('cancels a queued job at once, refunding', async () => {
        const job = aJob(user);
        await created(job);

        const after = await repo.cancel(job.jobId, user, at(500));

        expect(after).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' }, finishedAt: at(500) });
        expect(await repo.get(job.jobId)).toEqual(after);
        expect(await credits(user)).toBe(10);
        expect((await repo.listLive('free', 'queued', 1000)).map((x) => x.jobId)).not.toContain(job.jobId);
      });

      it('asks a running job to stop; the worker confirms and the refund happens then, once', async () => {
        const job = await running(aJob(user));

        const requested = await repo.cancel(job.jobId, user, at(1500));
        const creditsWhileRunning = await credits(user);
        const again = await repo.cancel(job.jobId, user, at(1600));
        const confirmed = await repo.confirmCancelled(job.jobId, 1, at(2000));
        const confirmedTwice = await repo.confirmCancelled(job.jobId, 1, at(2001));
        const failAfter = await repo.fail(job.jobId, 1, { code: 'engine_error', message: 'x' }, at(2002));

        expect(requested).toMatchObject({ status: 'running', cancelRequested: true });
        expect(again).toMatchObject({ status: 'running', cancelRequested: true });
        expect(creditsWhileRunning).toBe(9);
        expect([confirmed, confirmedTwice, failAfter]).toEqual([true, false, false]);
        expect(await repo.get(job.jobId)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
        expect(await credits(user)).toBe(10);
      });

      it('does not confirm a cancel nobody asked for', async () => {
        const job = await running(aJob(user));

        expect(await repo.confirmCancelled(job.jobId, 1, at(2000))).toBe(false);
        expect((await repo.get(job.jobId))?.status).toBe('running');
      });

      it("hides another user's job and a missing one as not found, and refuses a finished one", async () => {
        const job = aJob(user);
        await created(job);
        const done = await running(aJob(user, { createdAt: at(1) }));
        await repo.complete(done.jobId, 1, aResult(), at(2000));

        await expect(repo.cancel(job.jobId, `${user}-intruder`, at(3000))).rejects.toBeInstanceOf(NotFoundError);
        await expect(repo.cancel(randomUUID(), user, at(3000))).rejects.toBeInstanceOf(NotFoundError);
        await expect(repo.cancel(done.jobId, user, at(3000))).rejects.toBeInstanceOf(ConflictError);
        expect((await repo.get(job.jobId))?.status).toBe('queued');
      });
    });

    describe('listByUser and listLive', () => {
      async function fiveJobs(): Promise<Job[]> {
        const jobs = [0, 1, 2, 3, 4].map((i) => aJob(user, { createdAt: at(i * 1000) }));
        for (const job of jobs) await created(job);
        await created(aJob(`${user}-other`, { createdAt: at(2500) }));
        return jobs;
      }

      it('pages through a user’s jobs newest first with the cursor, each job exactly once', async () => {
        const jobs = await fiveJobs();

        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await repo.listByUser(user, { limit: 2, cursor });
          pages.push(page.items.map((j) => j.jobId));
          cursor = page.nextCursor;
        } while (cursor && pages.length < 10);

        const newestFirst = [...jobs].reverse().map((j) => j.jobId);
        expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
      });

      it('gives no cursor when the page holds the rest', async () => {
        await fiveJobs();

        const page = await repo.listByUser(user, { limit: 5 });

        expect(page.items).toHaveLength(5);
        expect(page.nextCursor).toBeUndefined();
      });

      it('filters by status', async () => {
        const jobs = await fiveJobs();
        await repo.cancel(jobs[1].jobId, user, at(10_000));
        await repo.cancel(jobs[3].jobId, user, at(10_000));

        const first = await repo.listByUser(user, { limit: 1, status: 'cancelled' });
        const second = await repo.listByUser(user, { limit: 1, status: 'cancelled', cursor: first.nextCursor });

        expect(first.items.map((j) => j.jobId)).toEqual([jobs[3].jobId]);
        expect(second.items.map((j) => j.jobId)).toEqual([jobs[1].jobId]);
        expect(second.nextCursor).toBeUndefined();
      });

      it('binds a cursor to the caller: another user’s cursor pages only through the caller’s own jobs', async () => {
        const jobs = await fiveJobs();
        const intruder = `${user}-other`;
        const owners = new Set(jobs.map((j) => j.jobId));

        const ownersPage = await repo.listByUser(user, { limit: 2 });
        const withForeignCursor = await repo.listByUser(intruder, { limit: 10, cursor: ownersPage.nextCursor });

        // The cursor is only a position in time: the intruder's one job older than it, and nothing of the owner's.
        expect(ownersPage.nextCursor).toEqual(expect.any(String));
        expect(withForeignCursor.items.map((j) => j.userId)).toEqual([intruder]);
        expect(withForeignCursor.items.filter((j) => owners.has(j.jobId))).toEqual([]);
        expect(withForeignCursor.nextCursor).toBeUndefined();
      });

      it('rejects a cursor it did not issue, naming the field', async () => {
        const attempt = repo.listByUser(user, { limit: 2, cursor: 'not-a-cursor' });

        await expect(attempt).rejects.toSatisfy((e) => e instanceof ValidationError && e.issues[0]?.path === 'cursor');
      });

      it('lists live jobs of one tier and status, oldest first', async () => {
        const oldQueued = aJob(user, { tier: 'pro', createdAt: at(0) });
        const newQueued = aJob(user, { tier: 'pro', createdAt: at(2000) });
        const otherTier = aJob(user, { tier: 'basic', createdAt: at(500) });
        for (const job of [newQueued, oldQueued, otherTier]) await created(job);
        const runningJob = await running(aJob(user, { tier: 'pro', createdAt: at(1000) }));
        const finished = await running(aJob(user, { tier: 'pro', createdAt: at(1500) }));
        await repo.complete(finished.jobId, 1, aResult(), at(3000));

        const queued = await repo.listLive('pro', 'queued', 1000);
        const runningNow = await repo.listLive('pro', 'running', 1000);

        const ids = (xs: { jobId: string }[]) => xs.map((x) => x.jobId);
        // Other users' jobs on the shared table may be live too: look only at ours, but keep their order.
        const ours = new Set([oldQueued, newQueued, otherTier, runningJob, finished].map((j) => j.jobId));
        expect(ids(queued).filter((id) => ours.has(id))).toEqual([oldQueued.jobId, newQueued.jobId]);
        expect(ids(runningNow).filter((id) => ours.has(id))).toEqual([runningJob.jobId]);
        expect(queued.find((x) => x.jobId === oldQueued.jobId)?.createdAt).toBe(oldQueued.createdAt);
      });
    });
  });
}
