import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVE_COUNT, TIERS, VISIBILITY_TIMEOUT_SECONDS, type Tier } from '../../lambdas/core/tiers.ts';

export interface TierQueue {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
}

/**
 * One standard queue per tier, each with its own DLQ. Separate queues (not one queue with priorities) are what
 * let the paid tiers be polled with more concurrency: an event source mapping's maxConcurrency is per queue.
 * Visibility and maxReceiveCount come from the tier table so the worker's retry schedule and the redrive agree.
 */
export class JobQueues extends Construct {
  readonly byTier: Record<Tier, TierQueue>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const byTier = {} as Record<Tier, TierQueue>;
    for (const tier of TIERS) {
      const name = tier[0].toUpperCase() + tier.slice(1);
      const dlq = new sqs.Queue(this, `${name}Dlq`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The longest SQS allows: time for an operator to inspect and redrive a failed job.
        retentionPeriod: Duration.days(14),
      });
      const queue = new sqs.Queue(this, `${name}Queue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      });
      byTier[tier] = { queue, dlq };
    }
    this.byTier = byTier;
  }
}
