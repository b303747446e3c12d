import type { Job, JobError, JobStatus } from '../job.ts';
import { summarize, type ResultSummary } from '../job-result.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore, Subscriber } from '../ports/connection-store.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../tiers.ts';
import { DEFAULT_THROUGHPUT, etaSeconds, runningEta } from './eta.ts';
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
  /**
   * While running: seconds left at the job's own pace so far (eta.ts); absent until it has some progress. While
   * queued (a queue refresh, refreshQueuePositions): the wait plus the run, as GET /backtests/{id} computes it.
   */
  etaSeconds?: number;
  /** Only on a queue refresh: queued jobs of the tier ahead of this one (read-jobs.ts queuePosition). */
  queuePosition?: number;
  /**
   * With queuePosition: when the queue was read for it (ISO). `at` stays the job's own updatedAt, the same on every
   * refresh of a queued job, and refreshes run in parallel lanes, so this is what lets a client drop an older place
   * that arrives after a newer one.
   */
  positionAt?: string;
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

/**
 * Queued jobs of a tier whose subscribers hear of a move. Positions beyond it change too, but a job 100 places back
 * waits minutes either way; its subscribers see its position in the snapshot and when it starts. Bounds one refresh
 * at 3 reads, 100 subscriber Queries and one GetItem and post per watched job.
 */
export const QUEUE_REFRESH_SCAN = 100;

/** Places below which every move is told; beyond it a move is told when the place enters another group of ten. */
export const QUEUE_REFRESH_EVERY_PLACE_BELOW = 10;

/**
 * Whether a queued job now `ahead` places from the front hears of a move of `moved` jobs (out of or into the queue).
 * The first ten places hear every move; a job further back hears when its place crosses into another ten (it was at
 * most `moved` places away before). Why: a refresh costs a subscriber Query, a GetItem and a post per watched job, and
 * one runs for every job that starts; telling all of a deep queue every step made the refreshes most of the
 * notifier's work under overload (issue 12: 13,000 of 14,600 free-tier pushes in a 2x run) and delayed the progress
 * behind them. A job 37 places back that shows 40 until it reaches 30 still has the exact place in GET and the snapshot.
 */
export function placeWorthTelling(ahead: number, moved: number): boolean {
  if (ahead < QUEUE_REFRESH_EVERY_PLACE_BELOW) return true;
  const group = Math.floor(ahead / 10);
  return Math.floor((ahead + moved) / 10) !== group || Math.floor(Math.max(0, ahead - moved) / 10) !== group;
}

/**
 * The tier whose queue a change moved: a job left the queue (started, cancelled, failed) or came back to it (a retry
 * after a crash re-queues it, older than the jobs behind it). A new job queues behind the others and moves nobody.
 */
export function queueMovedTier(change: JobChange): Tier | undefined {
  const { oldJob, newJob } = change;
  if (!oldJob || !newJob || typeof oldJob.status !== 'string' || typeof newJob.status !== 'string') return undefined;
  return (oldJob.status === 'queued') !== (newJob.status === 'queued') ? newJob.tier : undefined;
}

export interface QueueRefreshOutcome {
  /** Queued jobs read (at most QUEUE_REFRESH_SCAN). */
  queued: number;
  /** Of those whose place was worth telling (placeWorthTelling), jobs that had subscribers and were still queued when read again. */
  watched: number;
  sent: number;
  gone: number;
  /** Posts that failed otherwise; not retried (the next move of the queue or the job's own start refreshes them). */
  failed: number;
}

/**
 * Tells the subscribers of a tier's first queued jobs their new queuePosition and etaSeconds (docs/fan-out.md,
 * "Queue position and ETA"), computed as GET /backtests/{id} does: the position is the job's place among the tier's
 * queued jobs, oldest first. Each watched job is read again (strongly consistent) and skipped unless still queued,
 * so a refresh never announces `queued` after the job's own stream record said it started; the message's `at` is the
 * job's own updatedAt, so a client that ignores older `at` values never goes back from running to queued even when a
 * start lands between that read and the post. Each message carries positionAt, the time the queue was read, because
 * two refreshes of a tier can post in either order. Expired-token subscribers are left to the job's next own push, which
 * closes them. Never throws for a failed post: a refresh is advisory, and failing the stream record would repeat
 * every progress message of the batch.
 */
export async function refreshQueuePositions(
  tier: Tier,
  deps: { connections: ConnectionStore; push: ClientPush; jobs: JobRepository; now?: () => number; tiers?: Readonly<Record<Tier, TierSettings>> },
  maxParallel = MAX_PARALLEL_POSTS,
  scan = QUEUE_REFRESH_SCAN,
  /** Jobs of the tier that left or entered the queue in the batch that asks for this refresh. */
  moved = 1,
): Promise<QueueRefreshOutcome> {
  const concurrency = (deps.tiers ?? TIER_SETTINGS)[tier].maxConcurrency;
  // Taken before the reads: every place of this refresh is at least this new, so a client keeping the newest
  // positionAt never trades it for a place read earlier.
  const positionAt = new Date((deps.now ?? Date.now)()).toISOString();
  const [queued, running, measured] = await Promise.all([
    deps.jobs.listLive(tier, 'queued', scan),
    deps.jobs.listLive(tier, 'running', concurrency + 1),
    deps.jobs.tierThroughput(tier),
  ]);
  // Same order as read-jobs.ts queuePosition: created earlier, then the smaller id.
  const ordered = [...queued].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
  const nowMs = (deps.now ?? Date.now)();
  const nowSec = Math.floor(nowMs / 1000);
  const outcome: QueueRefreshOutcome = { queued: ordered.length, watched: 0, sent: 0, gone: 0, failed: 0 };
  const told = [...ordered.entries()].filter(([ahead]) => placeWorthTelling(ahead, moved));
  await forEachBounded(told, maxParallel, async ([ahead, entry]) => {
    try {
      const subscribers = (await deps.connections.subscriberDetails(entry.jobId)).filter((s) => s.tokenExpiresAt === undefined || s.tokenExpiresAt > nowSec);
      if (subscribers.length === 0) return;
      const job = await deps.jobs.get(entry.jobId);
      if (!job || job.status !== 'queued') return;
      outcome.watched += 1;
      const situation = { ahead, running: running.length, concurrency, throughput: measured ?? DEFAULT_THROUGHPUT };
      const eta = etaSeconds(job, situation, nowMs);
      const message: ProgressMessage = { ...progressMessage(job, nowMs), queuePosition: ahead, positionAt, ...(eta !== undefined ? { etaSeconds: eta } : {}) };
      for (const subscriber of subscribers) {
        try {
          if ((await deps.push.send(subscriber.connectionId, message)) === 'sent') outcome.sent += 1;
          else {
            outcome.gone += 1;
            await deps.connections.deleteConnection(subscriber.connectionId);
          }
        } catch {
          outcome.failed += 1;
        }
      }
    } catch {
      outcome.failed += 1;
    }
  });
  return outcome;
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
