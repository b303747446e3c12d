import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { cancelJob } from '../../core/use-cases/cancel-job.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `DELETE /backtests/{jobId}`: 202 with the job (cancelled, or running with cancelRequested until the worker stops). */
export function createCancelJobHandler(deps: { jobs: JobRepository; clock: Clock; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const job = await cancelJob(principalOf(event), pathParameter(event, 'jobId'), deps);
    logger.info('cancel accepted', { jobId: job.jobId, status: job.status });
    return json(202, job);
  });
}
