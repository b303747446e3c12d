import type { Job } from '../job.ts';
import { summarize, type JobResult, type ResultSummary } from '../job-result.ts';

export interface JobLinks {
  self: string;
}

/** A job without its trade list and equity curve: what lists and WebSocket snapshots carry (a few KB at most). */
export type CompactJobView = Omit<Job, 'userId' | 'creditsCharged' | 'result'> & {
  result?: ResultSummary;
  links: JobLinks;
};

/** The full job as `GET /backtests/{jobId}` returns it, result included. */
export interface JobView extends Omit<CompactJobView, 'result'> {
  userId: string;
  creditsCharged: number;
  result?: JobResult;
}

export function jobLinks(jobId: string): JobLinks {
  return { self: `/backtests/${encodeURIComponent(jobId)}` };
}

export function compactJob(job: Job): CompactJobView {
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
    ...(job.result ? { result: summarize(job.result) } : {}),
    ...(job.error ? { error: job.error } : {}),
    links: jobLinks(job.jobId),
  };
}

export function fullJob(job: Job): JobView {
  const { result: _summary, ...compact } = compactJob(job);
  return { ...compact, userId: job.userId, creditsCharged: job.creditsCharged, ...(job.result ? { result: job.result } : {}) };
}
