import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { IdempotencyConflictError, InsufficientCreditsError, RateLimitedError, ServiceUnavailableError, ValidationError } from '../../core/errors.ts';
import type { Tier } from '../../core/tiers.ts';
import { SUBMIT_METRICS, type RejectReason } from '../shared/metric-names.ts';
import { MalformedJsonError, PayloadTooLargeError } from '../shared/problem.ts';

/** The reason for an error a submit can end with; undefined for the service's own failures (those are Lambda errors and 5xx). */
export function rejectReason(error: unknown): RejectReason | undefined {
  if (error instanceof RateLimitedError) return 'rate_limited';
  if (error instanceof InsufficientCreditsError) return 'no_credits';
  if (error instanceof ValidationError || error instanceof MalformedJsonError || error instanceof PayloadTooLargeError) return 'validation';
  if (error instanceof IdempotencyConflictError) return 'idempotency_conflict';
  if (error instanceof ServiceUnavailableError) return 'unavailable';
  return undefined;
}

/**
 * Each submit emits and flushes its own EMF document at once: the dimension differs per request (tier or reason).
 * The three calls are synchronous, so no concurrent invocation (the local stack runs several) can slip its metrics
 * or dimensions in between. Not `singleMetric()`: its new instance re-reads the environment instead of inheriting
 * the injected instance's settings. A replayed submit (same Idempotency-Key) is not a new job and is not counted.
 */
export function recordSubmitted(metrics: Metrics, tier: Tier): void {
  emitOne(metrics, SUBMIT_METRICS.submitted, 'tier', tier);
}

export function recordRejected(metrics: Metrics, reason: RejectReason): void {
  emitOne(metrics, SUBMIT_METRICS.rejected, 'reason', reason);
}

function emitOne(metrics: Metrics, name: string, dimension: string, value: string): void {
  metrics.addDimension(dimension, value);
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
