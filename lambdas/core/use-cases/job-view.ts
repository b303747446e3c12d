import type { Job } from '../job.ts';
import { summarize, type JobResult, type ResultSummary } from '../job-result.ts';

export interface JobLinks {
  self: string;
  /** The sub-resources of the full result, present once the job succeeded (`sweep` only for a sweep). */
  equity?: string;
  trades?: string;
  sweep?: string;
}

/** A job without its trade list and equity curve: what lists and WebSocket snapshots carry (a few KB at most). */
export type CompactJobView = Omit<Job, 'userId' | 'creditsCharged' | 'result'> & {
  result?: ResultSummary;
  links: JobLinks;
};

/** The result as `GET /backtests/{jobId}` shows it: the summary and the sweep's top rows, never the curve or trades. */
export interface ResultView extends ResultSummary {
  sweep?: { metric: string; combinations: number; top: NonNullable<JobResult['sweep']>['top'] };
  provenance?: JobResult['provenance'];
}

/**
 * `GET /backtests/{jobId}`: small (a few KB, the top rows of a sweep being the largest part); the equity curve, the
 * trades and the sweep grid live at the `links`, so a client that polls a job does not download them each time.
 */
export interface JobView extends Omit<CompactJobView, 'result'> {
  userId: string;
  creditsCharged: number;
  /** While queued: queued jobs of the same tier created before this one (see read-jobs.ts queuePosition). */
  queuePosition?: number;
  /** While queued: seconds until it is done (wait plus run); while running: seconds left (eta.ts says how approximate). */
  etaSeconds?: number;
  result?: ResultView;
}

export function jobLinks(jobId: string, result?: JobResult): JobLinks {
  const self = `/backtests/${encodeURIComponent(jobId)}`;
  if (!result) return { self };
  return { self, equity: `${self}/equity`, trades: `${self}/trades`, ...(result.sweep ? { sweep: `${self}/sweep` } : {}) };
}

/** The stored result of a job that succeeded (a result only exists on a succeeded job). */
const resultOf = (job: Job): JobResult | undefined => (job.status === 'succeeded' ? job.result : undefined);

export function compactJob(job: Job): CompactJobView {
  const result = resultOf(job);
  return {
    jobId: job.jobId,
    tier: job.tier,
    status: job.status,
    progress: job.progress,
    message: job.message,
    attempts: job.attempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    request: job.request,
    combinations: job.combinations,
    ...(job.cancelRequested ? { cancelRequested: true } : {}),
    ...(result ? { result: summarize(result) } : {}),
    ...(job.error ? { error: job.error } : {}),
    links: jobLinks(job.jobId, result),
  };
}

export function jobView(job: Job, queuePosition?: number, etaSeconds?: number): JobView {
  const { result: _summary, ...compact } = compactJob(job);
  const result = resultOf(job);
  return {
    ...compact,
    userId: job.userId,
    creditsCharged: job.creditsCharged,
    ...(queuePosition !== undefined && job.status === 'queued' ? { queuePosition } : {}),
    ...(etaSeconds !== undefined && (job.status === 'queued' || job.status === 'running') ? { etaSeconds } : {}),
    ...(result
      ? {
          result: {
            ...summarize(result),
            ...(result.sweep ? { sweep: { metric: result.sweep.metric, combinations: result.sweep.combinations, top: result.sweep.top } } : {}),
            ...(result.provenance ? { provenance: result.provenance } : {}),
          },
        }
      : {}),
  };
}
