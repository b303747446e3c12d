import { RateLimitedError } from './errors.ts';

/** A per-user token bucket: `burst` submits at once, refilled at `perMinute`. */
export interface SubmitRate {
  /** Tokens refilled per minute (the sustained submit rate). */
  readonly perMinute: number;
  /** Bucket size: submits a user may make back to back after a quiet spell. */
  readonly burst: number;
}

/** What is stored per user: tokens left at `updatedAtMs`. */
export interface BucketState {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export type TakeOutcome = { readonly allowed: true; readonly next: BucketState } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Refills the bucket for the time since it was last written and takes one token. Pure, so the adapter's storage
 * (a conditional write on the state it read) and the tests share one definition. A clock that went backwards
 * refills nothing. An absent state is a full bucket.
 */
export function takeToken(state: BucketState | undefined, rate: SubmitRate, nowMs: number): TakeOutcome {
  const perMs = rate.perMinute / 60_000;
  const elapsed = state ? Math.max(0, nowMs - state.updatedAtMs) : 0;
  const tokens = state ? Math.min(rate.burst, state.tokens + elapsed * perMs) : rate.burst;
  if (tokens >= 1) return { allowed: true, next: { tokens: tokens - 1, updatedAtMs: Math.max(nowMs, state?.updatedAtMs ?? nowMs) } };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
}

/**
 * Too many submits in a short time (the per-user token bucket), as opposed to the daily limit. A RateLimitedError,
 * so it is the same 429 with Retry-After, with its own message.
 */
export class SubmitRateExceededError extends RateLimitedError {
  override name = 'SubmitRateExceededError';
  constructor(rate: SubmitRate, retryAfterSeconds: number) {
    super(rate.perMinute, retryAfterSeconds);
    this.message = `Too many submissions in a short time (at most ${rate.burst} at once, then ${rate.perMinute} per minute)`;
  }
}
