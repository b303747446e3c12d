import { isoNow, type Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { RETRIES_EXHAUSTED } from '../job.ts';
import { MAX_RECEIVE_COUNT, TIERS, VISIBILITY_TIMEOUT_SECONDS, type Tier } from '../tiers.ts';

/**
 * A queued job that no worker picked up for this long may have no message: the submit wrote the job and then died
 * (Lambda timeout, crash) before the SQS send. Well above a normal queue wait (DESIGN: under 30 s on average).
 */
export const STUCK_AFTER_MS = 2 * 60_000;
/** Live jobs read per tier and sweep, oldest first; bounds one run's reads. */
export const SWEEP_LIMIT_PER_TIER = 500;

export interface SweepOptions {
  /** @default STUCK_AFTER_MS */
  stuckAfterMs?: number;
  /** @default SWEEP_LIMIT_PER_TIER */
  limitPerTier?: number;
}

export interface SweepReport {
  /** Queued jobs older than the threshold, per tier. */
  examined: Record<Tier, number>;
  /** Jobs a fresh message was sent for. */
  requeued: string[];
  /** Jobs whose send failed (tried again on a later sweep, one threshold later). */
  failed: string[];
  /** Jobs left `running` on their last attempt by a worker that died: failed with a refund (their message is in the DLQ). */
  abandoned: string[];
  /**
   * Jobs left `running` on an earlier attempt long after their message should have come back (the queue was
   * recreated or purged, so it never will): requeued with a fresh message and a fresh set of attempts.
   */
  recovered: string[];
}

/**
 * A running job on a non-final attempt that nobody touched for this long has lost its message: a live worker
 * saves progress every few seconds and times out after WORKER_TIMEOUT_SECONDS, and a dead worker's message is
 * visible again after the visibility timeout. Twice that timeout leaves room for the message to wait behind a
 * backlog before it is redelivered; if it still exists after all, its late claim takes the job over and the
 * requeued attempt stops at its next progress write (attempt ownership), so the job still runs to one outcome.
 */
export const LOST_MESSAGE_AFTER_MS = 2 * VISIBILITY_TIMEOUT_SECONDS * 1000;

/**
 * The stuck-job sweeper (scheduled every minute or so): sends a fresh queue message for every job still `queued`
 * with `attempts === 0` and untouched for `stuckAfterMs`.
 *
 * Why only attempts 0: a worker claims a job only when `job.attempts < receiveCount` of its message. A new message
 * is received with count 1, so it can claim only a job that never started. A job that is `queued` after a failed
 * attempt (attempts >= 1) is waiting for its own message's backoff redelivery, which still exists; re-sending
 * would be skipped by the claim anyway.
 *
 * It also fails (with a refund) jobs a worker abandoned on their last attempt, and requeues jobs left running on an
 * earlier attempt whose message was lost (LOST_MESSAGE_AFTER_MS), see below.
 *
 * A duplicate message is harmless: the first delivery claims the job (attempts 0 -> 1) and any other copy is
 * skipped and deleted. To bound duplicates when a queue simply has a long backlog, each job is re-sent at most once
 * per threshold (`touchStuckQueued` moves its `updatedAt`), however many sweepers run at once.
 */
export async function requeueStuckJobs(deps: { jobs: JobRepository; queue: JobQueue; clock: Clock }, options: SweepOptions = {}): Promise<SweepReport> {
  const stuckAfterMs = options.stuckAfterMs ?? STUCK_AFTER_MS;
  const limit = options.limitPerTier ?? SWEEP_LIMIT_PER_TIER;
  const nowMs = deps.clock.now();
  const cutoff = new Date(nowMs - stuckAfterMs).toISOString();
  const report: SweepReport = { examined: { free: 0, basic: 0, pro: 0 }, requeued: [], failed: [], abandoned: [], recovered: [] };
  const lostCutoff = new Date(nowMs - LOST_MESSAGE_AFTER_MS).toISOString();
  // A running job untouched for a whole visibility timeout has no live worker (the worker timeout is a sixth of it).
  const abandonedCutoff = new Date(nowMs - VISIBILITY_TIMEOUT_SECONDS * 1000).toISOString();

  for (const tier of TIERS) {
    const live = await deps.jobs.listLive(tier, 'queued', limit);
    // listLive is oldest first: everything after the first young job is young too.
    const old = live.filter((j) => j.createdAt <= cutoff);
    report.examined[tier] = old.length;
    for (const { jobId } of old) {
      const job = await deps.jobs.get(jobId);
      if (!job || job.status !== 'queued' || job.attempts !== 0 || job.updatedAt > cutoff) continue;
      if (!(await deps.jobs.touchStuckQueued(jobId, cutoff, isoNow(deps.clock)))) continue;
      try {
        await deps.queue.enqueue({ jobId, userId: job.userId, tier: job.tier });
        report.requeued.push(jobId);
      } catch {
        report.failed.push(jobId);
      }
    }
    // A worker killed on the last attempt never writes `failed`, and SQS moves its message to the DLQ on the next
    // receive: without this the job would show `running` forever. Earlier attempts need nothing: their message comes
    // back after the visibility timeout and the next claim takes the job over.
    for (const { jobId } of await deps.jobs.listLive(tier, 'running', limit)) {
      const job = await deps.jobs.get(jobId);
      if (!job || job.status !== 'running') continue;
      if (job.attempts < MAX_RECEIVE_COUNT) {
        // Earlier attempts normally need nothing (the message comes back and the next claim takes over), unless the
        // message itself is gone: then only a fresh one, on a job reset to attempts 0, can be claimed again.
        if (job.updatedAt > lostCutoff) continue;
        if (!(await deps.jobs.requeueAbandoned(jobId, job.attempts, lostCutoff, isoNow(deps.clock)))) continue;
        try {
          await deps.queue.enqueue({ jobId, userId: job.userId, tier: job.tier });
          report.recovered.push(jobId);
        } catch {
          // Queued with attempts 0 and no message: exactly what the queued-job sweep above re-sends on a later run.
          report.failed.push(jobId);
        }
        continue;
      }
      if (job.updatedAt > abandonedCutoff) continue;
      const error = { code: RETRIES_EXHAUSTED, message: `Failed after ${job.attempts} attempts (the last worker stopped without recording an outcome)` };
      if (await deps.jobs.fail(jobId, job.attempts, error, isoNow(deps.clock))) report.abandoned.push(jobId);
    }
  }
  return report;
}
