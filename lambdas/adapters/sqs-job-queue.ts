import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../core/errors.ts';
import type { JobMessage, JobQueue, TierQueueStats } from '../core/ports/job-queue.ts';
import type { Tier } from '../core/tiers.ts';

export interface SqsJobQueueProps {
  client: SQSClient;
  /** QUEUE_URL_FREE / _BASIC / _PRO */
  queueUrls: Record<Tier, string>;
  /** DLQ_URL_FREE / _BASIC / _PRO; needed for stats only. */
  dlqUrls?: Record<Tier, string>;
}

/** The tiered work queues on SQS: one standard (fair) queue per tier, each with its dead-letter queue. */
export class SqsJobQueue implements JobQueue {
  readonly #client: SQSClient;
  readonly #queueUrls: Record<Tier, string>;
  readonly #dlqUrls: Record<Tier, string> | undefined;

  constructor(props: SqsJobQueueProps) {
    this.#client = props.client;
    this.#queueUrls = props.queueUrls;
    this.#dlqUrls = props.dlqUrls;
  }

  async enqueue(message: JobMessage): Promise<void> {
    const body: JobMessage = { jobId: message.jobId, userId: message.userId, tier: message.tier, ...(message.chunk !== undefined ? { chunk: message.chunk } : {}) };
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrls[message.tier],
          MessageBody: JSON.stringify(body),
          // SQS fair queues: on a standard queue the group id names the tenant, and SQS delivers other tenants'
          // messages first while one tenant has a backlog (one user's fanned-out sweep does not starve the tier).
          // No ordering or exactly-once meaning on a standard queue. The local poller emulates this (docs/fan-out.md).
          MessageGroupId: messageGroupId(message.userId),
        }),
      );
    } catch (error) {
      throw new ServiceUnavailableError(`could not queue job ${message.jobId} on the ${message.tier} queue`, { cause: error });
    }
  }

  async stats(tier: Tier): Promise<TierQueueStats> {
    if (!this.#dlqUrls) throw new Error('SqsJobQueue.stats needs dlqUrls');
    const [queue, dlq] = await Promise.all([
      this.#attributes(this.#queueUrls[tier], [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ]),
      this.#attributes(this.#dlqUrls[tier], ['ApproximateNumberOfMessages']),
    ]);
    return {
      tier,
      waiting: count(queue.ApproximateNumberOfMessages) + count(queue.ApproximateNumberOfMessagesDelayed),
      // Includes messages a worker hid for a retry backoff: they are taken, not waiting.
      inFlight: count(queue.ApproximateNumberOfMessagesNotVisible),
      deadLettered: count(dlq.ApproximateNumberOfMessages),
    };
  }

  async #attributes(queueUrl: string, names: string[]): Promise<Record<string, string>> {
    const { Attributes } = await this.#client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as GetQueueAttributesCommand['input']['AttributeNames'] }),
    );
    return Attributes ?? {};
  }
}

/** SQS allows 1-128 printable ASCII characters in a group id; any other user id is hashed to one. */
export function messageGroupId(userId: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(userId) ? userId : `sha256:${createHash('sha256').update(userId).digest('hex')}`;
}

function count(value: string | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}
