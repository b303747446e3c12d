import type { Principal } from '../principal.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { compactJob, type CompactJobView } from './job-view.ts';
import { readableJob } from './read-jobs.ts';

/**
 * Cancels a queued job at once (with refund) or asks the worker to stop a running one (it confirms within about
 * a second and refunds then). A finished job is a ConflictError; someone else's job a NotFoundError.
 */
export async function cancelJob(principal: Principal, jobId: string, deps: { jobs: JobRepository; clock: Clock }): Promise<CompactJobView> {
  const job = await readableJob(principal, jobId, deps.jobs);
  // The repository checks ownership again, atomically with the change; an admin cancels as the owner.
  const cancelled = await deps.jobs.cancel(jobId, job.userId, isoNow(deps.clock));
  return compactJob(cancelled);
}
