import { LEADERBOARD_STREAM_SETTINGS } from '../lib/definitions/leaderboard-stream-settings.ts';
import { PROGRESS_STREAM_SETTINGS } from '../lib/definitions/progress-stream-settings.ts';
import type { FilterPattern } from './event-filter.ts';
import type { StreamMappingSettings } from './stream-poller.ts';

/**
 * The progress stream mapping as the CDK construct configures it: both read lib/definitions/progress-stream-settings.ts
 * (plain data, so the local stack's start-up never loads aws-cdk-lib), the parallelization factor included (a batch
 * that refreshes a long queue's positions must not hold back every other job's progress). Not modelled: the batching
 * window (none on AWS either).
 */
export const PROGRESS_STREAM_MAPPING: StreamMappingSettings = {
  startingPosition: PROGRESS_STREAM_SETTINGS.startingPosition,
  batchSize: PROGRESS_STREAM_SETTINGS.batchSize,
  retryAttempts: PROGRESS_STREAM_SETTINGS.retryAttempts,
  maxRecordAgeSeconds: PROGRESS_STREAM_SETTINGS.maxRecordAgeSeconds,
  bisectBatchOnError: PROGRESS_STREAM_SETTINGS.bisectBatchOnError,
  reportBatchItemFailures: PROGRESS_STREAM_SETTINGS.reportBatchItemFailures,
  filters: [{ eventName: PROGRESS_STREAM_SETTINGS.eventNames }],
  parallelizationFactor: PROGRESS_STREAM_SETTINGS.parallelizationFactor,
};

/** The leaderboard recorder's mapping on the same Jobs stream, from lib/definitions/leaderboard-stream-settings.ts. */
export const LEADERBOARD_STREAM_MAPPING: StreamMappingSettings = {
  startingPosition: LEADERBOARD_STREAM_SETTINGS.startingPosition,
  batchSize: LEADERBOARD_STREAM_SETTINGS.batchSize,
  retryAttempts: LEADERBOARD_STREAM_SETTINGS.retryAttempts,
  maxRecordAgeSeconds: LEADERBOARD_STREAM_SETTINGS.maxRecordAgeSeconds,
  bisectBatchOnError: LEADERBOARD_STREAM_SETTINGS.bisectBatchOnError,
  reportBatchItemFailures: LEADERBOARD_STREAM_SETTINGS.reportBatchItemFailures,
  filters: [LEADERBOARD_STREAM_SETTINGS.filter as unknown as FilterPattern],
};
