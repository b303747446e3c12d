import type { Tier } from '../tiers.ts';

/** One message parked in a tier's dead-letter queue. */
export interface DeadLetter {
  messageId: string;
  /** Valid until the message is released or removed. */
  receiptHandle: string;
  /** The raw body, as the worker gave up on it (it may not even be JSON). */
  body: string;
  /**
   * SQS's receive count: the source queue's receives carried over, plus every receive from the DLQ, the one that
   * returned this letter included. Reading a DLQ therefore raises it; the job's own attempts are on its row.
   */
  receiveCount: number;
  /** When the message was first sent, ISO 8601. */
  sentAt?: string;
}

/**
 * The tiers' dead-letter queues, for operators (`npm run dlq`). Reading a message hides it for a while (SQS has no
 * peek), so every read is followed by `release` (visible again) or `remove` (after it was sent back to work).
 */
export interface DeadLetterQueue {
  /** Up to `max` (1-10) messages, hidden from other readers for `hideSeconds`. */
  receive(tier: Tier, max: number, hideSeconds: number): Promise<DeadLetter[]>;
  release(tier: Tier, letter: DeadLetter): Promise<void>;
  remove(tier: Tier, letter: DeadLetter): Promise<void>;
}
