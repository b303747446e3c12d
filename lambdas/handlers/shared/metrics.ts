import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * One Powertools Metrics instance per function, written as CloudWatch EMF to stdout. Powertools reads the
 * namespace (POWERTOOLS_METRICS_NAMESPACE, `BacktestQueue` on AWS) and POWERTOOLS_METRICS_DISABLED (set by the local
 * stack) itself. Dimensions stay low-cardinality: `service` always, `tier` and `reason` where a metric names them;
 * never a job or user id.
 */
export function createMetrics(serviceSuffix: string): Metrics {
  return new Metrics({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `backtest-${serviceSuffix}` });
}

/**
 * Flushes the invocation's metrics after the handler, even when it throws. Unlike Powertools' `logMetrics`, an
 * invocation that recorded nothing (a stream batch with no subscribers) writes nothing instead of a warning per call.
 */
export function publishMetrics<TEvent, TResult>(metrics: Metrics): MiddlewareObj<TEvent, TResult> {
  const publish = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { name: 'publishMetrics', after: publish, onError: publish };
}
