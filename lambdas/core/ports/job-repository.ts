import type { Job, JobError, JobStatus } from '../job.ts';
import type { JobResult } from '../job-result.ts';
import type { Tier } from '../tiers.ts';

/** What a submission costs and what limits it, applied atomically with the job's creation. */
export interface SubmissionCharge {
  credits: number;
  /** Submissions allowed in `day`; null = unlimited. */
  dailyLimit: number | null;
  /** UTC day `YYYY-MM-DD` the submission counts against. */
  day: string;
  /** Credits a user starts with when they have no account yet. */
  initialCredits: number;
  /**
   * Replays the earlier job for the same key and hash; a different hash under a live key is an IdempotencyConflictError.
   * `expiresAt` is epoch seconds (the DynamoDB TTL unit); an expired record counts as absent even before TTL deletes it.
   */
  idempotency?: { key: string; requestHash: string; expiresAt: number };
}

export type CreateOutcome =
  | { kind: 'created'; job: Job }
  /** Same idempotency key and body as an earlier submit: that job. */
  | { kind: 'replayed'; job: Job };

export interface ListQuery {
  limit: number;
  cursor?: string;
  status?: JobStatus;
}

export type ClaimOutcome =
  | { kind: 'claimed'; job: Job }
  /** Cancelled or finished before this attempt started, or a newer attempt owns it: nothing to do. */
  | { kind: 'skip'; job: Job | undefined; reason: 'missing' | 'terminal' | 'newer-attempt' };

/**
 * Durable job state. Every write that moves a job is conditional on the state it expects (status and attempt),
 * so at-least-once delivery never runs a job twice at once, never overwrites a newer state, and a refund can
 * only happen on the one transition that reaches failed or cancelled.
 */
export interface JobRepository {
  /**
   * Creates a queued job, debits credits and counts the daily submission in one transaction.
   * Checks, in this order: idempotent replay (no charge, no count), daily limit, credits.
   * @throws InsufficientCreditsError, IdempotencyConflictError, RateLimitedError (retryAfterSeconds = from
   *   `job.createdAt` to the end of the UTC `day`)
   */
  create(job: Job, charge: SubmissionCharge): Promise<CreateOutcome>;
  get(jobId: string): Promise<Job | undefined>;
  /**
   * A user's jobs, newest first. `cursor` is opaque (the previous page's `nextCursor`).
   * @throws ValidationError with path `cursor` for a cursor it did not issue
   */
  listByUser(userId: string, query: ListQuery): Promise<{ items: Job[]; nextCursor?: string }>;
  /** Job ids that are queued or running in a tier, oldest first (for the admin view and the stuck-job sweeper). */
  listLive(tier: Tier, status: 'queued' | 'running', limit: number): Promise<{ jobId: string; createdAt: string }[]>;

  /**
   * queued -> running for `attempt`, or running(older attempt) -> running (redelivery after a crash). Both need
   * `job.attempts < attempt`: a stale duplicate message (lower receive count) never takes a job a retry re-queued.
   */
  claim(jobId: string, attempt: number, now: string): Promise<ClaimOutcome>;
  /** Writes progress if `attempt` still owns the running job. Returns whether a cancel was requested. */
  saveProgress(jobId: string, attempt: number, progress: number, message: string, now: string): Promise<{ owned: boolean; cancelRequested: boolean }>;
  /** running(attempt) -> succeeded. False if the attempt no longer owns the job. */
  complete(jobId: string, attempt: number, result: JobResult, now: string): Promise<boolean>;
  /** running(attempt) or queued -> failed, refunding the job's credits in the same transaction. */
  fail(jobId: string, attempt: number, error: JobError, now: string): Promise<boolean>;
  /** running(attempt) -> queued with a message saying when the retry comes. */
  scheduleRetry(jobId: string, attempt: number, message: string, now: string): Promise<boolean>;
  /**
   * A user's cancel: queued -> cancelled with refund, or running -> cancelRequested (the worker finishes it).
   * Returns the job after the change.
   * @throws NotFoundError (also for another user's job), ConflictError (already finished)
   */
  cancel(jobId: string, userId: string, now: string): Promise<Job>;
  /** running(attempt) with cancelRequested -> cancelled, refunding credits. */
  confirmCancelled(jobId: string, attempt: number, now: string): Promise<boolean>;

  /**
   * The stuck-job sweeper's claim on a job that may have no queue message: queued, `attempts === 0`, and `updatedAt`
   * at or before `cutoff` -> `updatedAt = now` (nothing a client sees changes). True when this caller should send a
   * fresh message; a job is re-sent at most once per sweep threshold, however many sweepers run.
   */
  touchStuckQueued(jobId: string, cutoff: string, now: string): Promise<boolean>;
  /**
   * The sweeper's recovery of a job left `running` on a non-final attempt whose message is gone (the queue was
   * recreated or purged): running(`attempt`) untouched since `cutoff` -> queued with attempts 0 and progress 0, so a
   * fresh message (receive count 1) can claim it. The job stays charged (it was never refunded). True when this
   * caller moved it and should send the message.
   */
  requeueAbandoned(jobId: string, attempt: number, cutoff: string, now: string): Promise<boolean>;
  /**
   * Admin redrive of a dead-lettered job: failed with `retries_exhausted` -> queued with attempts 0 (a fresh set of
   * retries), progress 0, error and finish time cleared, debiting the job's credits again (the failure refunded them),
   * all in one transaction. It does not count against the daily submission limit: it is not a new submission.
   * @throws NotFoundError, ConflictError (not a retries_exhausted failure), InsufficientCreditsError
   */
  requeueFailed(jobId: string, now: string): Promise<Job>;

  // Fanned-out sweeps (docs/fan-out.md). The job's own transitions (complete, fail, confirmCancelled) are the ones
  // above, called with the attempt that dispatched the chunks (`job.attempts`): chunks never change it.

  /**
   * Raises chunk `chunk`'s progress on a queued or running fanned-out job; a lower value than stored is ignored (a
   * retried chunk starts again from 0). `live` is false once the job is finished or gone.
   */
  saveChunkProgress(jobId: string, chunk: number, progress: number, now: string): Promise<{ live: boolean; cancelRequested: boolean }>;
  /**
   * Fan-in: stores chunk `chunk`'s partial result and counts it, once, in one transaction: the partial is written only
   * if absent, and only then is `chunksDone` raised (and the chunk's progress set to 1). A duplicate delivery or a
   * retry of a recorded chunk is `duplicate` and changes nothing; a finished or missing job is `gone`.
   * `chunksDone` is the count after the call (read consistently).
   */
  recordChunk(jobId: string, chunk: number, partial: string, now: string): Promise<{ kind: 'recorded' | 'duplicate' | 'gone'; chunksDone: number }>;
  /** The recorded partials of chunks 0..chunks-1, in chunk order (undefined where none is recorded). */
  chunkPartials(jobId: string, chunks: number): Promise<(string | undefined)[]>;

  /** The tier's recent throughput (eta.ts): undefined until a worker of the tier recorded one. */
  tierThroughput(tier: Tier): Promise<TierThroughput | undefined>;
  /** Folds one delivery's measured work into the tier's throughput (a moving average; a lost race loses one sample). */
  recordThroughput(tier: Tier, sample: ThroughputSample, now: string): Promise<void>;
}

/** What one worker delivery measured: the bar evaluations it computed and its wall time, data loading included. */
export interface ThroughputSample {
  barEvaluations: number;
  seconds: number;
}

/** Exponentially weighted averages over a tier's recent deliveries. */
export interface TierThroughput {
  /** Bar evaluations per second of one worker. */
  barEvaluationsPerSecond: number;
  /** Wall seconds of one delivery (a job or a chunk), what a queue slot is busy for. */
  deliverySeconds: number;
  samples: number;
  updatedAt: string;
}
