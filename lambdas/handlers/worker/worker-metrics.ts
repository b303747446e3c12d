import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { AttemptReport, ProcessOutcome } from '../../core/use-cases/process-job.ts';
import { WORKER_METRICS } from '../shared/metric-names.ts';

/**
 * Turns one delivery's outcome (and, when it claimed the job, its report) into metrics.
 * - JobsFailed counts jobs that ended failed, whether at once (bad spec) or after the last retry; the latter also
 *   count in JobsDeadLettered, as does a message that names no job (malformed), which is no job failure. So
 *   Succeeded + Cancelled + Retried + DeadLettered + Skipped + (Failed - failed jobs dead-lettered) = deliveries.
 * - QueueWaitSeconds only on the first attempt: a retry's wait is its backoff, not the queue's.
 */
export function recordAttempt(metrics: Metrics, outcome: ProcessOutcome, report: AttemptReport | undefined): void {
  const count = (name: string): void => {
    metrics.addMetric(name, MetricUnit.Count, 1);
  };
  switch (outcome.kind) {
    case 'done':
      count(outcome.status === 'succeeded' ? WORKER_METRICS.succeeded : outcome.status === 'failed' ? WORKER_METRICS.failed : WORKER_METRICS.cancelled);
      break;
    case 'retry':
      count(WORKER_METRICS.retried);
      break;
    case 'dead':
      if (report) count(WORKER_METRICS.failed);
      count(WORKER_METRICS.deadLettered);
      break;
    case 'skip':
      count(WORKER_METRICS.skipped);
      break;
    case 'dispatched':
      count(WORKER_METRICS.fannedOut);
      break;
    case 'chunk':
      count(outcome.recorded ? WORKER_METRICS.chunksRecorded : WORKER_METRICS.skipped);
      break;
  }
  if (!report) return;
  if (report.attempt === 1) {
    const waitMs = Date.parse(report.claimedAt) - Date.parse(report.createdAt);
    if (Number.isFinite(waitMs)) metrics.addMetric(WORKER_METRICS.queueWait, MetricUnit.Seconds, Math.max(0, waitMs) / 1000);
  }
  if (report.runMs !== undefined) metrics.addMetric(WORKER_METRICS.run, MetricUnit.Seconds, report.runMs / 1000);
  if (outcome.kind === 'done' && outcome.status === 'succeeded' && report.bars !== undefined) metrics.addMetric(WORKER_METRICS.bars, MetricUnit.Count, report.bars);
}
