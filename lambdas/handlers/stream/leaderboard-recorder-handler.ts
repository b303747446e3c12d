import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { isTerminal } from '../../core/job.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { ClientPush } from '../../core/ports/client-push.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import type { LeaderboardStore } from '../../core/ports/leaderboard-store.ts';
import { pushEntryToWatchers } from '../../core/use-cases/board-watch.ts';
import { recordPublication } from '../../core/use-cases/record-publication.ts';
import { createLogger } from '../shared/logger.ts';
import { jobFromImage } from './job-image.ts';

export interface LeaderboardRecorderDeps {
  store: LeaderboardStore;
  clock: Clock;
  connections: ConnectionStore;
  push: ClientPush;
  logger?: Logger;
}

/**
 * The Jobs stream's second consumer (docs/leaderboard.md, "How an entry is stored"): a job that just reached a final
 * state is looked up among pending publications; a succeeded out-of-sample job becomes an entry and is pushed to the
 * board's watchers. It leaves the job pipeline untouched. A record that fails is a batch item failure, retried by the
 * mapping (recordPublication is safe to repeat).
 */
export function createLeaderboardRecorderHandler(deps: LeaderboardRecorderDeps) {
  const logger = deps.logger ?? createLogger('leaderboard');
  const onEntry = async (entry: Parameters<typeof pushEntryToWatchers>[0]) => {
    try {
      await pushEntryToWatchers(entry, deps);
    } catch (error) {
      // The entry is stored; a watcher that misses the push sees it on its next read of the board.
      logger.warn('leaderboard push failed', { board: entry.board, entryId: entry.entryId, error: String(error) });
    }
  };
  const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
    const before = jobFromImage(record.dynamodb?.OldImage);
    const job = jobFromImage(record.dynamodb?.NewImage);
    if (!job?.jobId || !job.status || !isTerminal(job.status) || before?.status === job.status) return;
    const outcome = await recordPublication(job, { store: deps.store, clock: deps.clock, onEntry });
    if (outcome.kind !== 'not-published') logger.info('publication settled', { jobId: job.jobId, outcome: outcome.kind });
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .handler(async (event, context) => {
      const processor = new BatchProcessor(EventType.DynamoDBStreams);
      const response = await processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
      if (response.batchItemFailures.length > 0) logger.warn('publications not settled', { failed: response.batchItemFailures.length, errors: processor.errors.map(String) });
      return response;
    });
}
