import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { SymbolCatalog } from '../../core/ports/symbol-catalog.ts';
import { ValidationError } from '../../core/errors.ts';
import { estimateSubmit, submitBacktest } from '../../core/use-cases/submit-backtest.ts';
import { header, httpHandler, json, jsonBody, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { recordRejected, recordSubmitted, rejectReason } from './submit-metrics.ts';

export interface SubmitHandlerDeps {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  logger?: Logger;
  /** JobsSubmitted per tier, SubmitRejected per reason (submit-metrics.ts). @default createMetrics('api') */
  metrics?: Metrics;
  newJobId?: () => string;
  /** The data that exists; absent = symbols and dates are not checked at submit. */
  symbols?: SymbolCatalog;
}

/**
 * `POST /backtests`: 202 with the queued job; a replay under the same Idempotency-Key answers the same way.
 * `?dryRun=true`: 200 with the work, chunks, credits and ETA it would have, and nothing changes.
 */
export function createSubmitHandler(deps: SubmitHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  const metrics = deps.metrics ?? createMetrics('api');
  return httpHandler(logger, async (event) => {
    const principal = principalOf(event);
    const dryRun = event.queryStringParameters?.dryRun;
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') {
      throw new ValidationError([{ path: 'dryRun', message: 'must be true or false' }]);
    }
    // The estimate: same checks, nothing written, nothing charged (no job, no daily count, no rate token).
    if (dryRun === 'true') return json(200, await estimateSubmit(principal, jsonBody(event), deps));
    let submitted: Awaited<ReturnType<typeof submitBacktest>>;
    try {
      submitted = await submitBacktest(principal, jsonBody(event), header(event, 'idempotency-key'), deps);
    } catch (error) {
      const reason = rejectReason(error);
      if (reason) recordRejected(metrics, reason);
      throw error;
    }
    if (!submitted.replayed) recordSubmitted(metrics, submitted.tier);
    logger.info('job submitted', { jobId: submitted.jobId, tier: submitted.tier, replayed: submitted.replayed, userId: principal.userId });
    return json(202, submitted, { Location: submitted.links.self, ...(submitted.replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
  });
}
