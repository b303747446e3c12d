import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { getEquity, getSweep, getTrades } from '../../core/use-cases/result-views.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

type Deps = { jobs: JobRepository; logger?: Logger };

// A succeeded job's result never changes, so a browser may keep it; `private`: it is one user's data.
const IMMUTABLE = { 'Cache-Control': 'private, max-age=3600' };

/** `GET /backtests/{jobId}/equity`. */
export function createJobEquityHandler(deps: Deps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getEquity(principalOf(event), pathParameter(event, 'jobId'), deps), IMMUTABLE));
}

/** `GET /backtests/{jobId}/trades?cursor=&limit=`. */
export function createJobTradesHandler(deps: Deps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const q = event.queryStringParameters ?? {};
    const query = { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) };
    return json(200, await getTrades(principalOf(event), pathParameter(event, 'jobId'), query, deps), IMMUTABLE);
  });
}

/** `GET /backtests/{jobId}/sweep`. */
export function createJobSweepHandler(deps: Deps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getSweep(principalOf(event), pathParameter(event, 'jobId'), deps), IMMUTABLE));
}
