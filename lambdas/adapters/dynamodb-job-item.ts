import { aggregateProgress, isFannedOut, type Job } from '../core/job.ts';
import type { JobResult } from '../core/job-result.ts';
import type { Tier } from '../core/tiers.ts';

/**
 * How a Job is stored in the Jobs table (layout in table-schema.ts). Shared by the repository and by anything
 * that reads the table's stream (the progress notifier), so both agree on one shape.
 *
 * The result is stored as a JSON string, not a nested map: a map pays for every attribute name of every trade
 * against the 400 KB item cap, and JSON keeps the result exactly as the HTTP API serves it (a non-finite number
 * such as a profit factor with no losing trade becomes null either way, where a DynamoDB number would be refused).
 */
export type JobItem = Omit<Job, 'result'> & {
  resultJson?: string;
  /** `<tier>#<status>` while queued or running; absent once terminal (sparse byQueueState index). */
  queueState?: string;
  /** TTL in epoch seconds, set when the job reaches a terminal state. */
  expiresAt?: number;
};

/** Terminal jobs are kept this long, then DynamoDB's TTL deletes them (within a few days of expiry). */
export const JOB_RETENTION_DAYS = 90;

export function queueState(tier: Tier, status: 'queued' | 'running'): string {
  return `${tier}#${status}`;
}

export function expiresAtFor(finishedAt: string): number {
  return Math.floor(Date.parse(finishedAt) / 1000) + JOB_RETENTION_DAYS * 86_400;
}

export function jobToItem(job: Job): JobItem {
  const { result, ...rest } = job;
  const item: JobItem = { ...rest };
  if (result) item.resultJson = JSON.stringify(result);
  if (job.status === 'queued' || job.status === 'running') item.queueState = queueState(job.tier, job.status);
  else if (job.finishedAt) item.expiresAt = expiresAtFor(job.finishedAt);
  return item;
}

/** Accepts an item read by the document client or unmarshalled from a stream record. */
export function jobFromItem(item: Record<string, unknown>): Job {
  const { resultJson, queueState: _queueState, expiresAt: _expiresAt, ...rest } = item as unknown as JobItem;
  const job = rest as Job;
  if (typeof resultJson === 'string') job.result = JSON.parse(resultJson) as JobResult;
  // A fanned-out job's progress is its chunks' mean (they write their own entries), for readers and the stream alike.
  if (isFannedOut(job)) job.progress = aggregateProgress(job);
  return job;
}
