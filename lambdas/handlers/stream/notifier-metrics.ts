import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Job } from '../../core/job.ts';
import type { NotifyOutcome } from '../../core/use-cases/notify-progress.ts';
import { NOTIFIER_METRICS } from '../shared/metric-names.ts';

/**
 * One stream record's pushes. PushLatencyMs is the delay a client saw: from the job write (updatedAt, the worker's
 * clock) to the push, so it covers the stream, the mapping and the notifier; DESIGN.md asks for under 2 s. Only
 * recorded when something was sent: a change nobody watches has no latency anyone feels.
 */
export function recordPushes(metrics: Metrics, outcome: NotifyOutcome, job: Job | undefined, now: number): void {
  if (!outcome.relevant) return;
  if (outcome.sent > 0) metrics.addMetric(NOTIFIER_METRICS.pushed, MetricUnit.Count, outcome.sent);
  if (outcome.gone > 0) metrics.addMetric(NOTIFIER_METRICS.gone, MetricUnit.Count, outcome.gone);
  const writtenAt = job ? Date.parse(job.updatedAt) : Number.NaN;
  if (outcome.sent > 0 && Number.isFinite(writtenAt)) metrics.addMetric(NOTIFIER_METRICS.latency, MetricUnit.Milliseconds, Math.max(0, now - writtenAt));
}
