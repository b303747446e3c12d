/**
 * Names and dimensions of the custom metrics the handlers emit (Powertools EMF, namespace POWERTOOLS_METRICS_NAMESPACE),
 * as plain data: the handlers write them and the CDK dashboard reads them, so a rename cannot leave a widget empty.
 * Every metric also carries the `service` dimension (POWERTOOLS_SERVICE_NAME).
 */

/** Worker, dimension `tier` (the function's TIER). */
export const WORKER_METRICS = {
  succeeded: 'JobsSucceeded',
  failed: 'JobsFailed',
  cancelled: 'JobsCancelled',
  retried: 'JobsRetried',
  deadLettered: 'JobsDeadLettered',
  skipped: 'DeliveriesSkipped',
  /** A fanned-out sweep's dispatch (its chunk messages sent). */
  fannedOut: 'JobsFannedOut',
  /** A chunk of a fanned-out sweep whose partial result was stored. */
  chunksRecorded: 'ChunksRecorded',
  queueWait: 'QueueWaitSeconds',
  run: 'RunSeconds',
  bars: 'BarsProcessed',
} as const;

/** Submit: `JobsSubmitted` with dimension `tier`, `SubmitRejected` with dimension `reason` (one of SUBMIT_REJECT_REASONS). */
export const SUBMIT_METRICS = { submitted: 'JobsSubmitted', rejected: 'SubmitRejected' } as const;

export const SUBMIT_REJECT_REASONS = ['rate_limited', 'no_credits', 'validation', 'idempotency_conflict', 'unavailable'] as const;
export type RejectReason = (typeof SUBMIT_REJECT_REASONS)[number];

/** Progress notifier, no dimension but `service`. */
export const NOTIFIER_METRICS = { pushed: 'ProgressPushed', gone: 'ConnectionsGone', latency: 'PushLatencyMs' } as const;
