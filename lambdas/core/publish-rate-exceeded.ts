import { RateLimitedError } from './errors.ts';

/** Publishing too often (docs/leaderboard.md): a 429 with Retry-After, like the submit limits. */
export class PublishRateExceededError extends RateLimitedError {
  override name = 'PublishRateExceededError';
  constructor(limit: number, retryAfterSeconds: number, resetAt: string) {
    super(limit, retryAfterSeconds, resetAt);
    this.message = `At most ${limit} publishes an hour`;
  }
}
