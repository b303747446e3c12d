import type { Tier } from '../tiers.ts';

/** Body of a queue message: enough to find the job; the job row is the source of truth. */
export interface JobMessage {
  jobId: string;
  userId: string;
  tier: Tier;
  /** Set on the messages of a fanned-out sweep: which slice of the grid this delivery runs (0-based). */
  chunk?: number;
}

export interface TierQueueStats {
  tier: Tier;
  /** Visible messages waiting for a worker. */
  waiting: number;
  /** Received by a worker and not yet deleted. */
  inFlight: number;
  /** Messages parked in the tier's dead-letter queue. */
  deadLettered: number;
}

/** The tiered work queues. Separate queues per tier so paid work never waits behind free work. */
export interface JobQueue {
  /** @throws ServiceUnavailableError when the message could not be sent */
  enqueue(message: JobMessage): Promise<void>;
  stats(tier: Tier): Promise<TierQueueStats>;
}
