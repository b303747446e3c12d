import type { Job, JobError, JobStatus } from '../../../lambdas/core/job.ts';
import { aggregateProgress, cancel, fail, isFannedOut, isRequeueable, isTerminal, requeueFailed, requestCancel, startAttempt, succeed } from '../../../lambdas/core/job.ts';
import type { JobResult } from '../../../lambdas/core/job-result.ts';
import type { Tier } from '../../../lambdas/core/tiers.ts';
import type {
  ClaimOutcome,
  CreateOutcome,
  JobRepository,
  ListQuery,
  SubmissionCharge,
  ThroughputSample,
  TierThroughput,
} from '../../../lambdas/core/ports/job-repository.ts';
import { foldThroughput } from '../../../lambdas/core/use-cases/eta.ts';
import {
  ConflictError,
  IdempotencyConflictError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../../lambdas/core/errors.ts';

interface IdempotencyRecord {
  requestHash: string;
  jobId: string;
  expiresAt: number;
}

/** The user account the Users table holds: credits left and submissions per UTC day. */
export interface UserAccount {
  credits: number;
  submissionsByDay: Map<string, number>;
}

/**
 * A JobRepository in memory with the same conditional semantics as the DynamoDB one: every transition checks the
 * status and attempt it expects, credits move in the same step as the job, refunds happen once. Stored jobs are
 * copied in and out, so a caller mutating a returned job changes nothing. It passes the shared contract suite.
 */
export class InMemoryJobRepository implements JobRepository {
  readonly #jobs = new Map<string, Job>();
  readonly #users = new Map<string, UserAccount>();
  readonly #idempotency = new Map<string, IdempotencyRecord>();
  /** Fanned-out chunks' partial results by `<jobId>#chunk#<n>`, written once each (as the conditional Put). */
  readonly #partials = new Map<string, string>();
  readonly #throughput = new Map<Tier, TierThroughput>();
  /** Counts writes per job, so tests can assert throttling. */
  readonly progressWrites = new Map<string, number>();
  /** Set to make the next `create` fail as a throttled table would. */
  failNextCreate: Error | undefined;

  async create(job: Job, charge: SubmissionCharge): Promise<CreateOutcome> {
    if (this.failNextCreate) {
      const error = this.failNextCreate;
      this.failNextCreate = undefined;
      throw error;
    }
    const nowMs = Date.parse(job.createdAt);
    if (charge.idempotency) {
      const record = this.#idempotency.get(idemKey(job.userId, charge.idempotency.key));
      if (record && record.expiresAt * 1000 > nowMs) {
        if (record.requestHash !== charge.idempotency.requestHash) {
          throw new IdempotencyConflictError('This Idempotency-Key was used with a different request body');
        }
        const earlier = this.#jobs.get(record.jobId);
        if (earlier) return { kind: 'replayed', job: structuredClone(earlier) };
      }
    }
    if (this.#jobs.has(job.jobId)) throw new ConflictError(`job ${job.jobId} already exists`);
    const account = this.#account(job.userId, charge.initialCredits);
    const usedToday = account.submissionsByDay.get(charge.day) ?? 0;
    if (charge.dailyLimit !== null && usedToday >= charge.dailyLimit) {
      throw new RateLimitedError(charge.dailyLimit, secondsToEndOfDay(charge.day, nowMs), dayResetAt(charge.day));
    }
    if (account.credits < charge.credits) throw new InsufficientCreditsError(charge.credits, account.credits);

    account.credits -= charge.credits;
    account.submissionsByDay.set(charge.day, usedToday + 1);
    this.#jobs.set(job.jobId, structuredClone(job));
    if (charge.idempotency) {
      this.#idempotency.set(idemKey(job.userId, charge.idempotency.key), {
        requestHash: charge.idempotency.requestHash,
        jobId: job.jobId,
        expiresAt: charge.idempotency.expiresAt,
      });
    }
    return { kind: 'created', job: structuredClone(job) };
  }

  async get(jobId: string): Promise<Job | undefined> {
    const job = this.#jobs.get(jobId);
    if (!job) return undefined;
    const copy = structuredClone(job);
    // As the DynamoDB adapter reads it: a fanned-out job's progress is its chunks' mean.
    if (isFannedOut(copy)) copy.progress = aggregateProgress(copy);
    return copy;
  }

  async listByUser(userId: string, query: ListQuery): Promise<{ items: Job[]; nextCursor?: string }> {
    const all = [...this.#jobs.values()]
      .filter((j) => j.userId === userId && (!query.status || j.status === query.status))
      .sort(newestFirst);
    let start = 0;
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      start = all.findIndex((j) => newestFirst(j, after) > 0);
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + query.limit);
    const last = items.at(-1);
    const more = start + query.limit < all.length;
    return { items: items.map((j) => structuredClone(j)), ...(more && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  async listLive(tier: Tier, status: 'queued' | 'running', limit: number): Promise<{ jobId: string; createdAt: string }[]> {
    return [...this.#jobs.values()]
      .filter((j) => j.tier === tier && j.status === status)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.jobId.localeCompare(b.jobId))
      .slice(0, limit)
      .map((j) => ({ jobId: j.jobId, createdAt: j.createdAt }));
  }

  async claim(jobId: string, attempt: number, now: string): Promise<ClaimOutcome> {
    const job = this.#jobs.get(jobId);
    if (!job) return { kind: 'skip', job: undefined, reason: 'missing' };
    if (isTerminal(job.status)) return { kind: 'skip', job: structuredClone(job), reason: 'terminal' };
    if (job.attempts >= attempt) return { kind: 'skip', job: structuredClone(job), reason: 'newer-attempt' };
    // A cancel requested during a crashed attempt still holds: the next attempt sees the flag and cancels.
    const claimed = startAttempt(job, attempt, now);
    this.#jobs.set(jobId, claimed);
    return { kind: 'claimed', job: structuredClone(claimed) };
  }

  async saveProgress(jobId: string, attempt: number, progress: number, message: string, now: string): Promise<{ owned: boolean; cancelRequested: boolean }> {
    const job = this.#jobs.get(jobId);
    if (!job || !this.#owns(job, attempt)) return { owned: false, cancelRequested: job?.cancelRequested === true };
    this.#jobs.set(jobId, { ...job, progress: Math.max(job.progress, Math.min(1, progress)), message, updatedAt: now });
    this.progressWrites.set(jobId, (this.progressWrites.get(jobId) ?? 0) + 1);
    return { owned: true, cancelRequested: job.cancelRequested === true };
  }

  async complete(jobId: string, attempt: number, result: JobResult, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || !this.#owns(job, attempt)) return false;
    this.#jobs.set(jobId, succeed(job, structuredClone(result), now));
    return true;
  }

  async fail(jobId: string, attempt: number, error: JobError, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || !(job.status === 'queued' || this.#owns(job, attempt))) return false;
    this.#jobs.set(jobId, fail(job, { ...error }, now));
    this.#refund(job);
    return true;
  }

  async scheduleRetry(jobId: string, attempt: number, message: string, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || !this.#owns(job, attempt)) return false;
    this.#jobs.set(jobId, { ...job, status: 'queued', message, updatedAt: now });
    return true;
  }

  async cancel(jobId: string, userId: string, now: string): Promise<Job> {
    const job = this.#jobs.get(jobId);
    if (!job || job.userId !== userId) throw new NotFoundError(`job ${jobId} not found`);
    if (isTerminal(job.status)) throw new ConflictError(`job ${jobId} is already ${job.status}`);
    let next: Job;
    if (job.status === 'queued') {
      next = cancel(job, now);
      this.#refund(job);
    } else if (job.cancelRequested) {
      next = job;
    } else {
      next = requestCancel(job, now);
    }
    this.#jobs.set(jobId, next);
    return structuredClone(next);
  }

  async confirmCancelled(jobId: string, attempt: number, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || !this.#owns(job, attempt) || !job.cancelRequested) return false;
    this.#jobs.set(jobId, cancel(job, now));
    this.#refund(job);
    return true;
  }

  async touchStuckQueued(jobId: string, cutoff: string, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || job.status !== 'queued' || job.attempts !== 0 || job.updatedAt > cutoff) return false;
    this.#jobs.set(jobId, { ...job, updatedAt: now });
    return true;
  }

  async requeueAbandoned(jobId: string, attempt: number, cutoff: string, now: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job || job.status !== 'running' || job.attempts !== attempt || job.updatedAt > cutoff) return false;
    const { startedAt: _startedAt, ...rest } = job;
    this.#jobs.set(jobId, { ...rest, status: 'queued', attempts: 0, progress: 0, message: `Requeued: attempt ${attempt} stopped and its queue message was lost`, updatedAt: now });
    return true;
  }

  async requeueFailed(jobId: string, now: string): Promise<Job> {
    const job = this.#jobs.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    if (!isRequeueable(job)) throw new ConflictError(`job ${jobId} is ${job.status}; only a job failed for retries_exhausted can be requeued`);
    const account = this.#users.get(job.userId);
    const available = account?.credits ?? 0;
    if (job.creditsCharged > 0 && available < job.creditsCharged) throw new InsufficientCreditsError(job.creditsCharged, available);
    if (account) account.credits -= job.creditsCharged;
    const next = requeueFailed(job, now);
    this.#jobs.set(jobId, next);
    return structuredClone(next);
  }

  async saveChunkProgress(jobId: string, chunk: number, progress: number, now: string): Promise<{ live: boolean; cancelRequested: boolean }> {
    const job = this.#jobs.get(jobId);
    if (!job || isTerminal(job.status) || !job.chunkProgress) return { live: job !== undefined && !isTerminal(job.status), cancelRequested: job?.cancelRequested === true };
    const key = String(chunk);
    const clamped = Math.min(1, Math.max(0, progress));
    if (job.chunkProgress[key] === undefined || job.chunkProgress[key] < clamped) {
      this.#jobs.set(jobId, { ...job, chunkProgress: { ...job.chunkProgress, [key]: clamped }, updatedAt: now });
    }
    return { live: true, cancelRequested: job.cancelRequested === true };
  }

  async recordChunk(jobId: string, chunk: number, partial: string, now: string): Promise<{ kind: 'recorded' | 'duplicate' | 'gone'; chunksDone: number }> {
    const job = this.#jobs.get(jobId);
    const key = `${jobId}#chunk#${chunk}`;
    if (this.#partials.has(key)) return { kind: 'duplicate', chunksDone: job?.chunksDone ?? 0 };
    if (!job || isTerminal(job.status) || !job.chunkProgress) return { kind: 'gone', chunksDone: job?.chunksDone ?? 0 };
    this.#partials.set(key, partial);
    const chunksDone = (job.chunksDone ?? 0) + 1;
    this.#jobs.set(jobId, { ...job, chunkProgress: { ...job.chunkProgress, [String(chunk)]: 1 }, chunksDone, updatedAt: now });
    return { kind: 'recorded', chunksDone };
  }

  async chunkPartials(jobId: string, chunks: number): Promise<(string | undefined)[]> {
    return Array.from({ length: chunks }, (_, c) => this.#partials.get(`${jobId}#chunk#${c}`));
  }

  async tierThroughput(tier: Tier): Promise<TierThroughput | undefined> {
    const t = this.#throughput.get(tier);
    return t ? { ...t } : undefined;
  }

  async recordThroughput(tier: Tier, sample: ThroughputSample, now: string): Promise<void> {
    this.#throughput.set(tier, foldThroughput(this.#throughput.get(tier), sample, now));
  }

  // Test helpers (not part of the port).

  /** Chunk partials recorded so far (all jobs). */
  partialCount(): number {
    return this.#partials.size;
  }

  /** Credits a user has now; a user who never submitted has none recorded. */
  credits(userId: string): number | undefined {
    return this.#users.get(userId)?.credits;
  }

  setCredits(userId: string, credits: number): void {
    const account = this.#users.get(userId) ?? { credits, submissionsByDay: new Map() };
    account.credits = credits;
    this.#users.set(userId, account);
  }

  submissionsOn(userId: string, day: string): number {
    return this.#users.get(userId)?.submissionsByDay.get(day) ?? 0;
  }

  /** Writes a job as is (for tests that need a state no transition reaches quickly). */
  put(job: Job): void {
    this.#jobs.set(job.jobId, structuredClone(job));
  }

  /** Simulates another writer changing a job (e.g. a cancel arriving while the worker runs). */
  update(jobId: string, change: Partial<Job>): void {
    const job = this.#jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    this.#jobs.set(jobId, { ...job, ...change });
  }

  /** Everything the repository holds (jobs, accounts, idempotency records), as a deep copy tests can compare. */
  snapshot(): { jobs: Map<string, Job>; users: Map<string, UserAccount>; idempotency: Map<string, IdempotencyRecord> } {
    return structuredClone({ jobs: this.#jobs, users: this.#users, idempotency: this.#idempotency });
  }

  count(status?: JobStatus): number {
    return [...this.#jobs.values()].filter((j) => !status || j.status === status).length;
  }

  #owns(job: Job, attempt: number): boolean {
    return job.status === 'running' && job.attempts === attempt;
  }

  #account(userId: string, initialCredits: number): UserAccount {
    let account = this.#users.get(userId);
    if (!account) {
      account = { credits: initialCredits, submissionsByDay: new Map() };
      this.#users.set(userId, account);
    }
    return account;
  }

  #refund(job: Job): void {
    const account = this.#users.get(job.userId);
    if (account) account.credits += job.creditsCharged;
  }
}

function idemKey(userId: string, key: string): string {
  return `${userId}\u0000${key}`;
}

function newestFirst(a: Pick<Job, 'createdAt' | 'jobId'>, b: Pick<Job, 'createdAt' | 'jobId'>): number {
  return b.createdAt.localeCompare(a.createdAt) || b.jobId.localeCompare(a.jobId);
}

function encodeCursor(job: Job): string {
  return Buffer.from(JSON.stringify({ c: job.createdAt, j: job.jobId })).toString('base64url');
}

function decodeCursor(cursor: string): Pick<Job, 'createdAt' | 'jobId'> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c?: unknown; j?: unknown };
    if (typeof parsed.c === 'string' && typeof parsed.j === 'string') return { createdAt: parsed.c, jobId: parsed.j };
  } catch {
    // fall through: any undecodable cursor is the client's error
  }
  throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API issued' }]);
}

/** The next UTC midnight after `day` (YYYY-MM-DD): when its submission count stops counting. */
function dayResetAt(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
}

function secondsToEndOfDay(day: string, nowMs: number): number {
  const end = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  return Math.max(1, Math.ceil((end - nowMs) / 1000));
}
