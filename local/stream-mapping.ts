import { STREAM_SETTINGS } from '../lib/constructs/progress-stream.ts';
import type { StreamMappingSettings } from './stream-poller.ts';

/**
 * The progress stream mapping as the CDK construct configures it (lib/constructs/progress-stream.ts): its numbers
 * come from the construct's STREAM_SETTINGS; the filter, bisect and partial batch responses are the construct's
 * literal options, repeated here until they move into STREAM_SETTINGS too. Not modelled locally: the
 * parallelization factor (one ordered reader per shard is enough for one machine) and the batching window (none on AWS either).
 */
export const PROGRESS_STREAM_MAPPING: StreamMappingSettings = {
  batchSize: STREAM_SETTINGS.batchSize,
  retryAttempts: STREAM_SETTINGS.retryAttempts,
  maxRecordAgeSeconds: STREAM_SETTINGS.maxRecordAgeSeconds,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  filters: [{ eventName: ['INSERT', 'MODIFY'] }],
};
