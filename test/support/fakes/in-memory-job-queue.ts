import type { JobMessage, JobQueue, TierQueueStats } from '../../../lambdas/core/ports/job-queue.ts';
import type { MessageVisibility } from '../../../lambdas/core/ports/message-visibility.ts';
import { ServiceUnavailableError } from '../../../lambdas/core/errors.ts';
import { TIERS, type Tier } from '../../../lambdas/core/tiers.ts';

/** Tiered queues in memory. `failSends` makes `enqueue` fail like an unreachable SQS endpoint. */
export class InMemoryJobQueue implements JobQueue, MessageVisibility {
  readonly messages: Record<Tier, JobMessage[]> = { free: [], basic: [], pro: [] };
  readonly inFlight: Record<Tier, number> = { free: 0, basic: 0, pro: 0 };
  readonly deadLettered: Record<Tier, number> = { free: 0, basic: 0, pro: 0 };
  readonly visibilityChanges: { tier: Tier; receiptHandle: string; seconds: number }[] = [];
  failSends = 0;

  async enqueue(message: JobMessage): Promise<void> {
    if (this.failSends > 0) {
      this.failSends -= 1;
      throw new ServiceUnavailableError('the job queue is unavailable');
    }
    this.messages[message.tier].push({ ...message });
  }

  async stats(tier: Tier): Promise<TierQueueStats> {
    return { tier, waiting: this.messages[tier].length, inFlight: this.inFlight[tier], deadLettered: this.deadLettered[tier] };
  }

  async changeVisibility(tier: Tier, receiptHandle: string, seconds: number): Promise<void> {
    this.visibilityChanges.push({ tier, receiptHandle, seconds });
  }

  all(): JobMessage[] {
    return TIERS.flatMap((t) => this.messages[t]);
  }
}
