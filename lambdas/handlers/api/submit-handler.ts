import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { submitBacktest } from '../../core/use-cases/submit-backtest.ts';
import { header, httpHandler, json, jsonBody, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

export interface SubmitHandlerDeps {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  logger?: Logger;
  newJobId?: () => string;
}

/** `POST /backtests`: 202 with the queued job; a replay under the same Idempotency-Key answers the same way. */
export function createSubmitHandler(deps: SubmitHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const principal = principalOf(event);
    const body = jsonBody(event);
    const submitted = await submitBacktest(principal, body, header(event, 'idempotency-key'), deps);
    logger.info('job submitted', { jobId: submitted.jobId, tier: submitted.tier, replayed: submitted.replayed, userId: principal.userId });
    return json(202, submitted, { Location: submitted.links.self, ...(submitted.replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
  });
}
