import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { ClientPush } from '../../core/ports/client-push.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import { notifyProgress } from '../../core/use-cases/notify-progress.ts';
import { createLogger } from '../shared/logger.ts';
import { jobFromImage } from './job-image.ts';

export interface ProgressNotifierDeps {
  connections: ConnectionStore;
  push: ClientPush;
  logger?: Logger;
}

/**
 * DynamoDB stream of Jobs -> a progress message to every subscribed connection. A record whose pushes fail
 * (other than 410 Gone, which deletes the connection) is reported as a batch item failure, so the event source
 * mapping retries from it (bounded, with bisect and an on-failure destination in CDK).
 */
export function createProgressNotifierHandler(deps: ProgressNotifierDeps) {
  const logger = deps.logger ?? createLogger('notifier');
  const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
    const change = {
      oldJob: jobFromImage(record.dynamodb?.OldImage),
      newJob: jobFromImage(record.dynamodb?.NewImage),
    };
    const outcome = await notifyProgress(change, deps);
    if (outcome.relevant) logger.debug('progress pushed', { jobId: change.newJob?.jobId, sent: outcome.sent, gone: outcome.gone });
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .handler(async (event, context) => {
      const processor = new BatchProcessor(EventType.DynamoDBStreams);
      const response = await processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
      if (response.batchItemFailures.length > 0) logger.warn('pushes failed', { failed: response.batchItemFailures.length, errors: processor.errors.map(String) });
      return response;
    });
}
