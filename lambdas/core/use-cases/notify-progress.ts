import type { Job, JobError, JobStatus } from '../job.ts';
import { summarize, type ResultSummary } from '../job-result.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore } from '../ports/connection-store.ts';

/** What the WebSocket sends on every change a client cares about (DESIGN: WebSocket contract). */
export interface ProgressMessage {
  type: 'progress';
  jobId: string;
  status: JobStatus;
  progress: number;
  message: string;
  at: string;
  result?: ResultSummary;
  error?: JobError;
}

/** A job row before and after a write, as a DynamoDB stream record carries it (either side may be absent). */
export interface JobChange {
  oldJob?: Job;
  newJob?: Job;
}

export interface NotifyOutcome {
  /** Whether the change was one clients see. */
  relevant: boolean;
  sent: number;
  gone: number;
}

/** Whether a write changed anything a watching client sees (status, progress, message). */
export function isVisibleChange(change: JobChange): change is JobChange & { newJob: Job } {
  const { oldJob, newJob } = change;
  if (!newJob) return false;
  if (!oldJob) return true;
  return oldJob.status !== newJob.status || oldJob.progress !== newJob.progress || oldJob.message !== newJob.message;
}

export function progressMessage(job: Job): ProgressMessage {
  return {
    type: 'progress',
    jobId: job.jobId,
    status: job.status,
    progress: job.progress,
    message: job.message,
    at: job.updatedAt,
    ...(job.status === 'succeeded' && job.result ? { result: summarize(job.result) } : {}),
    ...(job.status === 'failed' && job.error ? { error: job.error } : {}),
  };
}

/**
 * Pushes a job change to every connection subscribed to the job. A connection that is gone (410) is deleted with
 * its subscriptions. Any other send failure is thrown after every subscriber was tried, so the stream record is
 * retried; a retry may repeat a message to subscribers that already got it, which clients tolerate (same `at`).
 */
export async function notifyProgress(change: JobChange, deps: { connections: ConnectionStore; push: ClientPush }): Promise<NotifyOutcome> {
  if (!isVisibleChange(change)) return { relevant: false, sent: 0, gone: 0 };
  const job = change.newJob;
  const message = progressMessage(job);
  const subscribers = await deps.connections.subscribers(job.jobId);
  const results = await Promise.allSettled(subscribers.map((id) => deps.push.send(id, message)));
  let sent = 0;
  let gone = 0;
  const failures: unknown[] = [];
  for (const [i, result] of results.entries()) {
    if (result.status === 'rejected') failures.push(result.reason);
    else if (result.value === 'sent') sent += 1;
    else {
      gone += 1;
      await deps.connections.deleteConnection(subscribers[i]);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${subscribers.length} pushes for job ${job.jobId} failed`);
  return { relevant: true, sent, gone };
}
