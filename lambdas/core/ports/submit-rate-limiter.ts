import type { SubmitRate } from '../submit-rate.ts';

/**
 * Per-user submit rate (a token bucket, see submit-rate.ts), kept where every API instance sees it: one client
 * hammering POST /backtests is slowed down on its own, before it costs a transaction and a queue send, however
 * many Lambda instances serve it. The stage throttle, by contrast, is shared by everybody.
 */
export interface SubmitRateLimiter {
  /**
   * Takes one submit from the user's bucket.
   * @returns `retryAfterSeconds` when the bucket is empty (nothing was taken), else undefined
   */
  take(userId: string, rate: SubmitRate, nowMs: number): Promise<number | undefined>;
}
