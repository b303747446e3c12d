import type { Job, JobError, JobStatus } from '../job.ts';
import { summarize, type ResultSummary } from '../job-result.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore, Subscriber } from '../ports/connection-store.ts';
import { runningEta } from './eta.ts';
import { tokenExpiredMessage } from './websocket-session.ts';

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
  /** While running: seconds left at the job's own pace so far (eta.ts); absent until it has some progress. */
  etaSeconds?: number;
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
  /** Connections closed because their token had expired (not counted in `gone`). */
  expired?: number;
}

/**
 * PostToConnection calls in flight at once for one change. A job watched by many connections (an admin's wall of
 * screens, a script that opened hundreds) must not turn one stream record into hundreds of concurrent posts that
 * the management API throttles; ten at a time still reaches dozens of subscribers well inside the 2 s target.
 */
export const MAX_PARALLEL_POSTS = 10;

/** Whether a write changed anything a watching client sees (status, progress, message). */
export function isVisibleChange(change: JobChange): change is JobChange & { newJob: Job } {
  const { oldJob, newJob } = change;
  // Items of the Jobs table that are not jobs (a fanned-out sweep's chunk partials, a tier's throughput averages) have
  // no status: nobody subscribes to them.
  if (!newJob || typeof newJob.status !== 'string') return false;
  if (!oldJob) return true;
  return oldJob.status !== newJob.status || oldJob.progress !== newJob.progress || oldJob.message !== newJob.message;
}

export function progressMessage(job: Job, nowMs: number = Date.now()): ProgressMessage {
  const eta = job.status === 'running' ? runningEta(job, nowMs) : undefined;
  return {
    type: 'progress',
    jobId: job.jobId,
    status: job.status,
    progress: job.progress,
    message: job.message,
    at: job.updatedAt,
    ...(job.status === 'succeeded' && job.result ? { result: summarize(job.result) } : {}),
    ...(job.status === 'failed' && job.error ? { error: job.error } : {}),
    ...(eta !== undefined ? { etaSeconds: eta } : {}),
  };
}

/**
 * Pushes a job change to every connection subscribed to the job. A connection that is gone (410) is deleted with
 * its subscriptions. Any other send failure is thrown after every subscriber was tried, so the stream record is
 * retried; a retry may repeat a message to subscribers that already got it, which clients tolerate (same `at`).
 */
export async function notifyProgress(
  change: JobChange,
  deps: { connections: ConnectionStore; push: ClientPush; now?: () => number },
  maxParallel = MAX_PARALLEL_POSTS,
): Promise<NotifyOutcome> {
  if (!isVisibleChange(change)) return { relevant: false, sent: 0, gone: 0 };
  const job = change.newJob;
  const message = progressMessage(job, (deps.now ?? Date.now)());
  const nowSec = Math.floor((deps.now ?? Date.now)() / 1000);
  const subscribers = await deps.connections.subscriberDetails(job.jobId);
  let sent = 0;
  let gone = 0;
  let expired = 0;
  const failures: unknown[] = [];
  await forEachBounded(subscribers, maxParallel, async (subscriber: Subscriber) => {
    try {
      // A connection whose token expired gets told so and is closed, instead of the progress (on the next push).
      if (subscriber.tokenExpiresAt !== undefined && subscriber.tokenExpiresAt <= nowSec) {
        await deps.push.send(subscriber.connectionId, tokenExpiredMessage(subscriber.tokenExpiresAt));
        await deps.connections.deleteConnection(subscriber.connectionId);
        await deps.push.close?.(subscriber.connectionId);
        expired += 1;
        return;
      }
      if ((await deps.push.send(subscriber.connectionId, message)) === 'sent') sent += 1;
      else {
        gone += 1;
        await deps.connections.deleteConnection(subscriber.connectionId);
      }
    } catch (error) {
      failures.push(error);
    }
  });
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${subscribers.length} pushes for job ${job.jobId} failed`);
  return expired > 0 ? { relevant: true, sent, gone, expired } : { relevant: true, sent, gone };
}

/** Runs `task` over `items` with at most `limit` running at once; every item is tried (errors stay in `task`). */
async function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}
