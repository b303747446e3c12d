import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { Tier, TierSettings } from '../../core/tiers.ts';
import { getJob } from '../../core/use-cases/read-jobs.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /backtests/{jobId}`: the full job, result included; another user's job is 404. */
export function createGetJobHandler(deps: { jobs: JobRepository; tiers?: Readonly<Record<Tier, TierSettings>>; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getJob(principalOf(event), pathParameter(event, 'jobId'), deps)));
}
