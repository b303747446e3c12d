import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { getJob } from '../../core/use-cases/read-jobs.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /backtests/{jobId}`: the full job, result included; another user's job is 404. */
export function createGetJobHandler(deps: { jobs: JobRepository; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getJob(principalOf(event), pathParameter(event, 'jobId'), deps)));
}
