import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { MarketData } from '../../core/ports/market-data.ts';
import type { MessageVisibility } from '../../core/ports/message-visibility.ts';
import type { Tier } from '../../core/tiers.ts';
import { processJob, type AttemptReport, type ProcessOutcome } from '../../core/use-cases/process-job.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { recordAttempt } from './worker-metrics.ts';

export interface WorkerHandlerDeps {
  jobs: JobRepository;
  marketData: MarketData;
  visibility: MessageVisibility;
  /** The tier queues: a fanned-out sweep's dispatch sends its chunk messages here. Absent: sweeps cannot fan out. */
  queue?: JobQueue;
  clock: Clock;
  /** The tier whose queue this function consumes. */
  tier: Tier;
  logger?: Logger;
  /** Outcome counts, queue wait, run time and bars, per tier (worker-metrics.ts). @default createMetrics('worker') */
  metrics?: Metrics;
  random?: () => number;
  progressIntervalMs?: number;
  cancelPollMs?: number;
  /**
   * Time kept back from the Lambda timeout: the engine is aborted this long before it, so the attempt is recorded
   * as failed and retried with backoff instead of being killed mid-write. @default 10000
   */
  timeoutMarginMs?: number;
}

/** Reported as a batch item failure so SQS redelivers the message after the visibility we set. */
export class RetryScheduledError extends Error {
  override name = 'RetryScheduledError';
}

/** Reported as a batch item failure after the last attempt; the next receive exceeds maxReceiveCount and SQS moves it to the DLQ. */
export class DeadLetterError extends Error {
  override name = 'DeadLetterError';
}

/**
 * SQS worker: one record is one delivery of one job; the attempt number is the record's ApproximateReceiveCount.
 * - done / skip: the record succeeds and SQS deletes the message.
 * - retry: visibility set to the backoff delay (2/4/8 s + jitter), then the record is reported failed, so SQS
 *   delivers it again after that delay (the delay lives in the message, not in a sleeping Lambda).
 * - dead: visibility set to 0 and the record reported failed; the next receive would be number
 *   MAX_RECEIVE_COUNT + 1, so the redrive policy moves the message to the tier's DLQ instead.
 * The batch never throws as a whole (throwOnFullBatchFailure: false): with batch size 1 every failure would
 * otherwise surface as a function error and hide the per-record outcome.
 */
export function createWorkerHandler(deps: WorkerHandlerDeps) {
  const logger = deps.logger ?? createLogger('worker');
  const metrics = deps.metrics ?? createMetrics('worker');
  // The tier is fixed per function (env TIER): set it once. Passing it to logMetrics would re-add it on every
  // invocation, and Powertools warns "Dimension tier has already been added" each time on a warm instance.
  metrics.setDefaultDimensions({ tier: deps.tier });
  const margin = deps.timeoutMarginMs ?? 10_000;

  const handleRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const attempt = Number(record.attributes.ApproximateReceiveCount);
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    let report: AttemptReport | undefined;
    const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const outcome: ProcessOutcome = await processJob(body, Number.isInteger(attempt) && attempt > 0 ? attempt : 1, {
      jobs: deps.jobs,
      ...(deps.queue ? { queue: deps.queue } : {}),
      marketData: deps.marketData,
      clock: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.progressIntervalMs !== undefined ? { progressIntervalMs: deps.progressIntervalMs } : {}),
      ...(deps.cancelPollMs !== undefined ? { cancelPollMs: deps.cancelPollMs } : {}),
      ...(remaining !== undefined ? { deadline: deps.clock.now() + remaining - margin } : {}),
      onError: (error, what) => logger.warn(what, { error: error as Error, messageId: record.messageId }),
      onAttempt: (r) => {
        report = r;
      },
    });
    recordAttempt(metrics, outcome, report);
    const jobId = (body as { jobId?: unknown } | undefined)?.jobId;
    const chunk = (body as { chunk?: unknown } | undefined)?.chunk;
    logger.info('attempt finished', {
      jobId: typeof jobId === 'string' ? jobId : undefined,
      ...(typeof chunk === 'number' ? { chunk } : {}),
      attempt,
      outcome: outcome.kind,
      messageId: record.messageId,
    });
    if (outcome.kind === 'retry') {
      await deps.visibility.changeVisibility(deps.tier, record.receiptHandle, outcome.delaySeconds);
      throw new RetryScheduledError(`retry in ${outcome.delaySeconds} s`);
    }
    if (outcome.kind === 'dead') {
      await deps.visibility.changeVisibility(deps.tier, record.receiptHandle, 0);
      throw new DeadLetterError(outcome.reason);
    }
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    // Every delivery records an outcome metric, so logMetrics never flushes an empty set.
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      // A processor per invocation: the local stack runs several invocations of one handler concurrently.
      const processor = new BatchProcessor(EventType.SQS);
      return processPartialResponse(event, (record: SQSRecord) => handleRecord(record, context), processor, {
        context,
        throwOnFullBatchFailure: false,
      });
    });
}
