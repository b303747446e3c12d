import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { ClientPush } from '../../core/ports/client-push.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { Tier, TierSettings } from '../../core/tiers.ts';
import { notifyProgress, queueMovedTier, refreshQueuePositions } from '../../core/use-cases/notify-progress.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, publishMetrics } from '../shared/metrics.ts';
import { jobFromImage } from './job-image.ts';
import { recordPushes } from './notifier-metrics.ts';

/** A record not pushed because an earlier record of the same job in the batch failed: it goes out on the retry, in order. */
export class EarlierRecordFailedError extends Error {
  override name = 'EarlierRecordFailedError';
}

export interface ProgressNotifierDeps {
  connections: ConnectionStore;
  push: ClientPush;
  logger?: Logger;
  /** Pushes, gone connections and push latency (notifier-metrics.ts). @default createMetrics('notifier') */
  metrics?: Metrics;
  /** Measures push latency against the job's updatedAt. @default systemClock */
  clock?: Clock;
  /**
   * Reads the tier's queue when a job leaves it, to push the queued jobs behind it their new position
   * (refreshQueuePositions). @default - no queue refresh
   */
  jobs?: JobRepository;
  /** The deployed tier table, for the queue ETA's worker slots (as GET /backtests/{id} has it). @default TIER_SETTINGS */
  tiers?: Readonly<Record<Tier, TierSettings>>;
}

/**
 * DynamoDB stream of Jobs -> a progress message to every subscribed connection. A record whose pushes fail
 * (other than 410 Gone, which deletes the connection) is reported as a batch item failure, so the event source
 * mapping retries from it (bounded, with bisect and an on-failure destination in CDK).
 */
export function createProgressNotifierHandler(deps: ProgressNotifierDeps) {
  const logger = deps.logger ?? createLogger('notifier');
  const metrics = deps.metrics ?? createMetrics('notifier');
  const clock = deps.clock ?? systemClock;
  // `movedTiers` counts, per tier, the jobs that left or entered its queue in this batch (one map per invocation: local stacks may overlap them).
  const handleRecord = (movedTiers: Map<Tier, number>) => async (record: DynamoDBRecord): Promise<void> => {
    const change = {
      oldJob: jobFromImage(record.dynamodb?.OldImage),
      newJob: jobFromImage(record.dynamodb?.NewImage),
    };
    const moved = queueMovedTier(change);
    if (moved) movedTiers.set(moved, (movedTiers.get(moved) ?? 0) + 1);
    const outcome = await notifyProgress(change, deps);
    recordPushes(metrics, outcome, change.newJob, clock.now());
    if (outcome.relevant) logger.debug('progress pushed', { jobId: change.newJob?.jobId, sent: outcome.sent, gone: outcome.gone });
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(publishMetrics(metrics))
    .handler(async (event, context) => {
      const movedTiers = new Map<Tier, number>();
      const processor = new BatchProcessor(EventType.DynamoDBStreams);
      const response = await processPartialResponse(event, inJobOrder(event.Records, handleRecord(movedTiers)), processor, { context, throwOnFullBatchFailure: false });
      if (response.batchItemFailures.length > 0) logger.warn('pushes failed', { failed: response.batchItemFailures.length, errors: processor.errors.map(String) });
      // After every record of the batch went out, so a job's own `running` (pushed above) is never followed by a
      // refresh's `queued` from this batch; once per tier, however many of its jobs left the queue.
      const jobs = deps.jobs;
      if (jobs) {
        await Promise.all(
          [...movedTiers].map(async ([tier, moved]) => {
            try {
              const refreshDeps = { connections: deps.connections, push: deps.push, jobs, now: () => clock.now(), ...(deps.tiers ? { tiers: deps.tiers } : {}) };
              const refresh = await refreshQueuePositions(tier, refreshDeps, undefined, undefined, moved);
              recordPushes(metrics, { relevant: true, sent: refresh.sent, gone: refresh.gone }, undefined, clock.now());
              if (refresh.failed > 0) logger.warn('queue refresh incomplete', { tier, ...refresh });
              else logger.debug('queue refreshed', { tier, ...refresh });
            } catch (error) {
              // Advisory: the stream records are delivered; the next move of this queue refreshes it again.
              logger.warn('queue refresh failed', { tier, error: String(error) });
            }
          }),
        );
      }
      return response;
    });
}

/**
 * The batch processor handles records in parallel, but a client must never get an older state of a job after a
 * newer one (a `running 0 %` arriving after `running 99 %`, or after `succeeded`). The stream orders the records of
 * one item; this keeps that order: records of one job are pushed one after the other, in batch order, while
 * different jobs still go out in parallel. Once a record of a job fails, that job's later records in the batch fail
 * without pushing; the mapping retries from the first failed record, so they are sent then, still in order.
 */
export function inJobOrder(records: DynamoDBRecord[], handle: (record: DynamoDBRecord) => Promise<void>): (record: DynamoDBRecord) => Promise<void> {
  const idOf = (record: DynamoDBRecord, index: number): string => record.dynamodb?.SequenceNumber ?? record.eventID ?? `#${index}`;
  const ids = new Map<DynamoDBRecord, string>();
  const byId = new Map<string, DynamoDBRecord>();
  const previousOf = new Map<string, string | undefined>();
  const lastOfJob = new Map<string, string>();
  for (const [index, record] of records.entries()) {
    const id = idOf(record, index);
    ids.set(record, id);
    byId.set(id, record);
    const jobId = record.dynamodb?.Keys?.jobId?.S;
    if (jobId === undefined) continue;
    previousOf.set(id, lastOfJob.get(jobId));
    lastOfJob.set(jobId, id);
  }
  const runs = new Map<string, Promise<void>>();
  const run = (id: string): Promise<void> => {
    let running = runs.get(id);
    if (running === undefined) {
      const before = previousOf.get(id);
      const record = byId.get(id)!;
      running = (before === undefined ? Promise.resolve() : run(before)).then(
        () => handle(record),
        () => {
          throw new EarlierRecordFailedError(`record ${id} waits for an earlier record of job ${record.dynamodb?.Keys?.jobId?.S} that failed`);
        },
      );
      runs.set(id, running);
    }
    return running;
  };
  return (record) => {
    const id = ids.get(record);
    // A record object the batch did not hand us (the processor passes them through as they are): no order to keep.
    return id === undefined ? handle(record) : run(id);
  };
}
