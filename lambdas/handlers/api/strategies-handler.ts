import type { Logger } from '@aws-lambda-powertools/logger';
import { listStrategyViews } from '../../core/use-cases/strategies.ts';
import { httpHandler, json, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /strategies`: every strategy with its parameters as JSON Schema. */
export function createStrategiesHandler(deps: { logger?: Logger } = {}) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    principalOf(event); // a token without a subject is refused like on every authorized route
    return json(200, listStrategyViews(), { 'Cache-Control': 'private, max-age=300' });
  });
}
