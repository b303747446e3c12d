import type { SubmitRateLimiter } from '../../../lambdas/core/ports/submit-rate-limiter.ts';
import { takeToken, type BucketState, type SubmitRate } from '../../../lambdas/core/submit-rate.ts';

/** The submit token bucket in memory, with the same bucket arithmetic (takeToken) the DynamoDB adapter stores. */
export class InMemorySubmitRateLimiter implements SubmitRateLimiter {
  readonly #buckets = new Map<string, BucketState>();

  async take(userId: string, rate: SubmitRate, nowMs: number): Promise<number | undefined> {
    const outcome = takeToken(this.#buckets.get(userId), rate, nowMs);
    if (!outcome.allowed) return outcome.retryAfterSeconds;
    this.#buckets.set(userId, outcome.next);
    return undefined;
  }
}
