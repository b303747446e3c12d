import { NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { JOB_STATUSES, type Job, type JobStatus } from '../job.ts';
import type { Principal } from '../principal.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { Tier, TierSettings } from '../tiers.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { queueEstimate } from './eta.ts';
import { compactJob, jobView, type CompactJobView, type JobView } from './job-view.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * What a job id can look like (ids are UUIDs; tests use shorter ones). Anything else names no job and never reaches
 * the table: DynamoDB refuses keys over 2 KB with an error that would otherwise surface as a 500.
 */
const JOB_ID = /^[\x21-\x7e]{1,128}$/;

/** A job the caller may see: their own, or any for an admin. Another user's job is indistinguishable from a missing one. */
export async function readableJob(principal: Principal, jobId: string, jobs: JobRepository): Promise<Job> {
  if (!JOB_ID.test(jobId)) throw new NotFoundError('No such job');
  const job = await jobs.get(jobId);
  if (!job || (job.userId !== principal.userId && !principal.admin)) throw new NotFoundError(`No job ${jobId}`);
  return job;
}

/** Most queued jobs read to place one job in its tier's queue; a job further back reports this many ahead. */
export const QUEUE_POSITION_SCAN = 1000;

/**
 * Jobs ahead of a queued job in its tier: the tier's queued jobs created before it (oldest first, as the workers
 * mostly take them; SQS does not promise order, and a job waiting out a retry delay counts as queued). One Query on
 * the sparse byQueueState index, keys only. Undefined unless the job is queued.
 */
export async function queuePosition(job: Job, jobs: JobRepository): Promise<number | undefined> {
  if (job.status !== 'queued') return undefined;
  const live = await jobs.listLive(job.tier, 'queued', QUEUE_POSITION_SCAN);
  return live.filter((l) => l.jobId !== job.jobId && (l.createdAt < job.createdAt || (l.createdAt === job.createdAt && l.jobId < job.jobId))).length;
}

/** `GET /backtests/{jobId}`: the small view (queuePosition while queued, etaSeconds while live); the full result is at its links. */
export async function getJob(
  principal: Principal,
  jobId: string,
  deps: { jobs: JobRepository; clock?: Clock; tiers?: Readonly<Record<Tier, TierSettings>> },
): Promise<JobView> {
  const job = await readableJob(principal, jobId, deps.jobs);
  const estimate = await queueEstimate(job, deps.jobs, (deps.clock ?? systemClock).now(), deps.tiers);
  return jobView(job, estimate.queuePosition, estimate.etaSeconds);
}

/** Query string values as they arrive (strings or absent). */
export interface ListJobsQuery {
  limit?: string;
  cursor?: string;
  status?: string;
}

export interface JobPage {
  items: CompactJobView[];
  nextCursor: string | null;
}

/** The caller's jobs, newest first, without trade lists and curves (fetch one job for those). */
export async function listJobs(principal: Principal, query: ListJobsQuery, deps: { jobs: JobRepository }): Promise<JobPage> {
  const issues: FieldIssue[] = [];
  let limit = DEFAULT_PAGE_SIZE;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) issues.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
  }
  let status: JobStatus | undefined;
  if (query.status !== undefined) {
    if ((JOB_STATUSES as readonly string[]).includes(query.status)) status = query.status as JobStatus;
    else issues.push({ path: 'status', message: `must be one of ${JOB_STATUSES.join(', ')}` });
  }
  if (query.cursor !== undefined && (query.cursor.length === 0 || query.cursor.length > 2048)) {
    issues.push({ path: 'cursor', message: 'must be the nextCursor of a previous page' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const page = await deps.jobs.listByUser(principal.userId, { limit, ...(query.cursor ? { cursor: query.cursor } : {}), ...(status ? { status } : {}) });
  return { items: page.items.map(compactJob), nextCursor: page.nextCursor ?? null };
}
