import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue } from '../core/ports/dead-letter-queue.ts';
import type { Tier } from '../core/tiers.ts';

export interface SqsDeadLetterQueueProps {
  client: SQSClient;
  /** DLQ_URL_FREE / _BASIC / _PRO */
  dlqUrls: Record<Tier, string>;
}

/**
 * The tier DLQs on SQS. Redrive is receive + send + delete rather than StartMessageMoveTask, which the local
 * emulator does not implement and which cannot put the job row back to a runnable state anyway.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly #client: SQSClient;
  readonly #urls: Record<Tier, string>;

  constructor(props: SqsDeadLetterQueueProps) {
    this.#client = props.client;
    this.#urls = props.dlqUrls;
  }

  async receive(tier: Tier, max: number, hideSeconds: number): Promise<DeadLetter[]> {
    const { Messages } = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#urls[tier],
        MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(max))),
        VisibilityTimeout: hideSeconds,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return (Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      ...(m.Attributes?.SentTimestamp ? { sentAt: new Date(Number(m.Attributes.SentTimestamp)).toISOString() } : {}),
    }));
  }

  async release(tier: Tier, letter: DeadLetter): Promise<void> {
    await this.#client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.#urls[tier], ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 }));
  }

  async remove(tier: Tier, letter: DeadLetter): Promise<void> {
    await this.#client.send(new DeleteMessageCommand({ QueueUrl: this.#urls[tier], ReceiptHandle: letter.receiptHandle }));
  }
}
