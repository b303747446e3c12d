/**
 * The Jobs stream → progress-notifier event source mapping, as plain data (no CDK import): the CDK construct
 * (lib/constructs/progress-stream.ts) builds the mapping from it, the local stream poller (local/stream-mapping.ts)
 * behaves by it, and the infra tests assert the synthesized mapping against it. One object, so the two cannot drift.
 */
export const PROGRESS_STREAM_SETTINGS = {
  /**
   * Stream events that invoke the notifier. Clients see jobs appear and change; REMOVE (TTL expiry, not a status
   * change) never invokes it.
   */
  eventNames: ['INSERT', 'MODIFY'],
  /** Only changes from the moment the mapping starts: progress of the past is of no use to a live view. */
  startingPosition: 'LATEST',
  batchSize: 100,
  /** Bounded, so one bad record cannot stall the shard; then the batch goes to the on-failure destination. */
  retryAttempts: 3,
  /** A failing batch is halved on retry, to isolate a poison record. */
  bisectBatchOnError: true,
  /** The notifier reports failed records; the mapping checkpoints before the first of them. */
  reportBatchItemFailures: true,
  /** Concurrent batches per shard (records of one job stay in order: same partition key); the local poller runs as many lanes. */
  parallelizationFactor: 2,
  /** Progress older than this is stale for a live view; such records go to the DLQ instead of the socket. */
  maxRecordAgeSeconds: 15 * 60,
} as const;

export type ProgressStreamSettings = typeof PROGRESS_STREAM_SETTINGS;
