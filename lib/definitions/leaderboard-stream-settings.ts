/**
 * The Jobs stream → leaderboard-recorder event source mapping, as plain data (no CDK import): the CDK construct
 * (lib/constructs/leaderboard-recorder.ts) and the local stack's stream poller read the same object.
 */
export const LEADERBOARD_STREAM_SETTINGS = {
  /**
   * Only updates that leave a job in a final state can settle a publication: the filter keeps every other progress
   * write from invoking the recorder at all.
   */
  filter: { eventName: ['MODIFY'], dynamodb: { NewImage: { status: { S: ['succeeded', 'failed', 'cancelled'] } } } },
  /** From the moment the mapping starts; a publication whose job finished before it is settled by nothing (documented). */
  startingPosition: 'LATEST',
  batchSize: 10,
  /** More than the notifier: a publication is worth retrying, and the use case is safe to repeat. */
  retryAttempts: 10,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  /** A day: an entry that arrives late is still an entry. */
  maxRecordAgeSeconds: 24 * 60 * 60,
} as const;
