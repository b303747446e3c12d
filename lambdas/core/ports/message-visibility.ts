import type { Tier } from '../tiers.ts';

/**
 * Delays the next delivery of a received queue message. The worker uses it for retries with backoff (hide the
 * message for 2/4/8 s, then report it as failed) and, after the last attempt, to make it visible at once so the
 * queue's redrive policy moves it to the dead-letter queue on the next receive. On AWS this is SQS
 * `ChangeMessageVisibility` on the tier's queue.
 */
export interface MessageVisibility {
  /** Hides the message for `seconds` from now (0 = visible at once). */
  changeVisibility(tier: Tier, receiptHandle: string, seconds: number): Promise<void>;
}
