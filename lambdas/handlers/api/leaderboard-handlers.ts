import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { LeaderboardStore } from '../../core/ports/leaderboard-store.ts';
import type { MarketData } from '../../core/ports/market-data.ts';
import { copyEntry } from '../../core/use-cases/copy-entry.ts';
import { publishEntry } from '../../core/use-cases/publish-entry.ts';
import { listBoards, rankBoard } from '../../core/use-cases/read-leaderboard.ts';
import type { SubmitDeps } from '../../core/use-cases/submit-backtest.ts';
import { unpublishEntry } from '../../core/use-cases/unpublish-entry.ts';
import { header, httpHandler, json, jsonBody, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /leaderboards`: the boards and their windows (compiled in: no table access). */
export function createListBoardsHandler(deps: { logger?: Logger } = {}) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async () => json(200, listBoards()));
}

/** `GET /leaderboard/{board}?metric=&cursor=&limit=`: one page of the board, best first. */
export function createRankBoardHandler(deps: { store: LeaderboardStore; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    principalOf(event);
    const q = event.queryStringParameters ?? {};
    const query = {
      ...(q.metric !== undefined ? { metric: q.metric } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    };
    return json(200, await rankBoard(pathParameter(event, 'board'), query, deps));
  });
}

/** `POST /backtests/{jobId}/publish {board, displayName}`: 202, the entry lands when the out-of-sample job succeeds. */
export function createPublishHandler(deps: { jobs: JobRepository; store: LeaderboardStore; marketData: MarketData; clock: Clock; submit: SubmitDeps; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const principal = principalOf(event);
    const published = await publishEntry(principal, pathParameter(event, 'jobId'), jsonBody(event), deps);
    logger.info('publication pending', { board: published.board, outOfSampleJobId: published.outOfSampleJobId, userId: principal.userId });
    return json(202, published, { Location: published.links.job });
  });
}

/** `DELETE /backtests/{jobId}/publish?board=`: removes the caller's entry for the job's strategy. */
export function createUnpublishHandler(deps: { jobs: JobRepository; store: LeaderboardStore; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) =>
    json(200, await unpublishEntry(principalOf(event), pathParameter(event, 'jobId'), event.queryStringParameters?.board, deps)),
  );
}

/** `POST /leaderboard/{board}/entries/{entryId}/copy {symbol?, startDate?, endDate?}`: 202, the caller's own job. */
export function createCopyEntryHandler(deps: { store: LeaderboardStore; submit: SubmitDeps; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const principal = principalOf(event);
    const body = event.body === undefined || event.body === '' ? {} : jsonBody(event);
    const copied = await copyEntry(principal, pathParameter(event, 'board'), pathParameter(event, 'entryId'), body, header(event, 'idempotency-key'), deps);
    logger.info('entry copied', { jobId: copied.jobId, tier: copied.tier, userId: principal.userId });
    return json(202, copied, { Location: copied.links.self });
  });
}
