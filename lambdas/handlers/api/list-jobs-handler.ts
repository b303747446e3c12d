import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { listJobs } from '../../core/use-cases/read-jobs.ts';
import { httpHandler, json, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /backtests?limit=&cursor=&status=`: the caller's jobs, newest first. */
export function createListJobsHandler(deps: { jobs: JobRepository; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const q = event.queryStringParameters ?? {};
    const query = {
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
    };
    return json(200, await listJobs(principalOf(event), query, deps));
  });
}
