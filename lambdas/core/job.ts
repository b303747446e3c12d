import type { Tier } from './tiers.ts';
import type { SubmitRequest } from './submit-schema.ts';
import type { JobResult } from './job-result.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface JobError {
  /** Stable machine code: `invalid_spec`, `unknown_symbol`, `engine_error`, `retries_exhausted`, `cancelled`. */
  code: string;
  message: string;
}

/** A job as stored. Plain data: the functions below compute transitions; adapters persist them. */
export interface Job {
  jobId: string;
  userId: string;
  tier: Tier;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  /** Attempts started so far (the SQS receive count of the latest attempt). */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  request: SubmitRequest;
  /** Parameter combinations the request expands to (1 for a plain backtest). */
  combinations: number;
  creditsCharged: number;
  /** Set by a cancel of a running job; the worker turns it into the engine's AbortSignal. */
  cancelRequested?: boolean;
  /** Estimated bar evaluations (bars x combinations) at submit: what the job was priced by, and its ETA. */
  barEvaluations?: number;
  /** Fanned-out sweeps only (docs/fan-out.md): how many slices of the grid run as separate queue messages. */
  chunks?: number;
  /** Fanned-out sweeps: the highest progress each chunk reported, keyed by chunk index (1 once recorded). */
  chunkProgress?: Record<string, number>;
  /** Fanned-out sweeps: chunks whose partial result is recorded, each counted once (the fan-in counter). */
  chunksDone?: number;
  result?: JobResult;
  error?: JobError;
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  readonly from: JobStatus;
  readonly to: JobStatus;
  constructor(from: JobStatus, to: JobStatus) {
    super(`a ${from} job cannot become ${to}`);
    this.from = from;
    this.to = to;
  }
}

const ALLOWED: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  // running -> queued is a retry after a failed attempt; running -> running is a redelivery after a crash.
  running: ['running', 'queued', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return ALLOWED[from].includes(to);
}

function assertTransition(job: Job, to: JobStatus): void {
  if (!canTransition(job.status, to)) throw new InvalidTransitionError(job.status, to);
}

export interface NewJobInput {
  jobId: string;
  userId: string;
  tier: Tier;
  request: SubmitRequest;
  combinations: number;
  creditsCharged: number;
  now: string;
  barEvaluations?: number;
  /** More than 1: the job fans out (see `Job.chunks`). */
  chunks?: number;
}

export function newJob(input: NewJobInput): Job {
  return {
    jobId: input.jobId,
    userId: input.userId,
    tier: input.tier,
    status: 'queued',
    progress: 0,
    message: 'Waiting in the queue',
    attempts: 0,
    createdAt: input.now,
    updatedAt: input.now,
    request: input.request,
    combinations: input.combinations,
    creditsCharged: input.creditsCharged,
    ...(input.barEvaluations !== undefined ? { barEvaluations: input.barEvaluations } : {}),
    ...(input.chunks !== undefined && input.chunks > 1 ? { chunks: input.chunks, chunkProgress: {}, chunksDone: 0 } : {}),
  };
}

/** Whether a job runs as several chunk messages (a fanned-out sweep) rather than one. */
export function isFannedOut(job: Pick<Job, 'chunks'>): boolean {
  return job.chunks !== undefined && job.chunks > 1;
}

/**
 * A fanned-out job's progress: the mean of its chunks' progress. Each chunk's value only rises (the store refuses a
 * lower one), so the mean never goes backwards, whatever order chunks run, retry or repeat in. Below 1 until the
 * merged result is stored. Plain jobs keep their stored progress.
 */
export function aggregateProgress(job: Pick<Job, 'chunks' | 'chunkProgress' | 'progress' | 'status'>): number {
  if (!job.chunks || job.chunks <= 1 || !job.chunkProgress || job.status === 'succeeded') return job.progress;
  let sum = 0;
  for (const value of Object.values(job.chunkProgress)) sum += Math.min(1, Math.max(0, value));
  return Math.max(job.progress, Math.min(0.999, sum / job.chunks));
}

export function startAttempt(job: Job, attempt: number, now: string): Job {
  assertTransition(job, 'running');
  return { ...job, status: 'running', attempts: attempt, progress: 0, message: `Running (attempt ${attempt})`, startedAt: now, updatedAt: now };
}

export function withProgress(job: Job, progress: number, message: string, now: string): Job {
  if (job.status !== 'running') throw new InvalidTransitionError(job.status, 'running');
  return { ...job, progress: Math.max(job.progress, Math.min(1, progress)), message, updatedAt: now };
}

export function succeed(job: Job, result: JobResult, now: string): Job {
  assertTransition(job, 'succeeded');
  return { ...job, status: 'succeeded', progress: 1, message: 'Done', result, finishedAt: now, updatedAt: now };
}

export function fail(job: Job, error: JobError, now: string): Job {
  assertTransition(job, 'failed');
  return { ...job, status: 'failed', message: error.message, error, finishedAt: now, updatedAt: now };
}

export function scheduleRetry(job: Job, delaySeconds: number, reason: string, now: string): Job {
  assertTransition(job, 'queued');
  return { ...job, status: 'queued', message: `Attempt ${job.attempts} failed (${reason}); retrying in ${delaySeconds.toFixed(1)} s`, updatedAt: now };
}

export function cancel(job: Job, now: string): Job {
  assertTransition(job, 'cancelled');
  return { ...job, status: 'cancelled', message: 'Cancelled', error: { code: 'cancelled', message: 'Cancelled by the user' }, finishedAt: now, updatedAt: now };
}

export function requestCancel(job: Job, now: string): Job {
  if (job.status !== 'running') throw new InvalidTransitionError(job.status, 'cancelled');
  return { ...job, cancelRequested: true, message: 'Cancelling', updatedAt: now };
}

/** Why a dead-lettered job failed: the only failure an operator's redrive may undo (see requeueFailed). */
export const RETRIES_EXHAUSTED = 'retries_exhausted';

/** Whether an operator may put a failed job back in the queue: only when it failed for running out of retries. */
export function isRequeueable(job: Job): boolean {
  return job.status === 'failed' && job.error?.code === RETRIES_EXHAUSTED;
}

/**
 * An operator's redrive, outside the user-facing transitions above (a failed job is final for users and workers):
 * failed(retries_exhausted) -> queued with attempts 0, so the claim (attempts < receive count) accepts the redriven
 * message and the job gets a full set of retries again.
 */
export function requeueFailed(job: Job, now: string): Job {
  if (!isRequeueable(job)) throw new InvalidTransitionError(job.status, 'queued');
  const { error: _error, finishedAt: _finishedAt, result: _result, cancelRequested: _cancel, startedAt: _startedAt, ...rest } = job;
  return { ...rest, status: 'queued', attempts: 0, progress: 0, message: 'Queued again by an operator', updatedAt: now };
}
