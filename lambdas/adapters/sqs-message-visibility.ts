import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageVisibility } from '../core/ports/message-visibility.ts';
import type { Tier } from '../core/tiers.ts';

export interface SqsMessageVisibilityProps {
  client: SQSClient;
  /** QUEUE_URL_FREE / _BASIC / _PRO */
  queueUrls: Record<Tier, string>;
}

/** SQS's maximum visibility timeout. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** ChangeMessageVisibility on a tier's queue: the worker's retry backoff (2/4/8 s) and its hand-off to the DLQ. */
export class SqsMessageVisibility implements MessageVisibility {
  readonly #client: SQSClient;
  readonly #queueUrls: Record<Tier, string>;

  constructor(props: SqsMessageVisibilityProps) {
    this.#client = props.client;
    this.#queueUrls = props.queueUrls;
  }

  async changeVisibility(tier: Tier, receiptHandle: string, seconds: number): Promise<void> {
    // SQS takes whole seconds; round jittered delays up so a backoff is never shorter than asked.
    const timeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds)));
    await this.#client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.#queueUrls[tier], ReceiptHandle: receiptHandle, VisibilityTimeout: timeout }),
    );
  }
}
