import type { Logger } from '@aws-lambda-powertools/logger';
import type { SymbolCatalog } from '../../core/ports/symbol-catalog.ts';
import { listSymbols } from '../../core/use-cases/symbols.ts';
import { httpHandler, json, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /symbols?limit=&cursor=`: the market data jobs can run on, and the synthetic pattern. */
export function createSymbolsHandler(deps: { symbols: SymbolCatalog; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    principalOf(event);
    const q = event.queryStringParameters ?? {};
    const query = { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) };
    return json(200, await listSymbols(query, deps));
  });
}
