import {
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
  type FieldIssue,
} from '../../core/errors.ts';
import { SubmitRateExceededError } from '../../core/submit-rate.ts';
import { PublishRateExceededError } from '../../core/publish-rate-exceeded.ts';

/** The request body is not JSON. */
export class MalformedJsonError extends Error {
  override name = 'MalformedJsonError';
}

/** The request body is over the size limit. */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/** RFC 9457 problem details, as every HTTP error response carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldIssue[];
}

export interface ProblemMapping {
  problem: Problem;
  headers: Record<string, string>;
  /** True for errors that are the service's fault: log them in full. */
  internal: boolean;
}

const problem = (slug: string, title: string, status: number, detail: string, errors?: FieldIssue[]): Problem => ({
  type: `/problems/${slug}`,
  title,
  status,
  detail,
  ...(errors ? { errors } : {}),
});

/**
 * The one place that turns errors into HTTP problems, by class. Unknown errors become a generic 500: their message
 * may name tables, queues or stack frames, so it is logged, never sent.
 *
 * InsufficientCreditsError is 402 Payment Required, not 429: waiting does not help, only more credits do, and a
 * client that retries on 429 would loop. RateLimitedError (the daily limit) is the 429 with Retry-After.
 */
export function mapError(error: unknown): ProblemMapping {
  const ok = (p: Problem, headers: Record<string, string> = {}): ProblemMapping => ({ problem: p, headers, internal: false });
  if (error instanceof ValidationError) return ok(problem('validation-error', 'Invalid request', 400, error.message, error.issues));
  if (error instanceof MalformedJsonError) {
    return ok(problem('malformed-json', 'Malformed JSON', 400, error.message, [{ path: '', message: 'is not valid JSON' }]));
  }
  if (error instanceof PayloadTooLargeError) return ok(problem('payload-too-large', 'Request body too large', 413, error.message));
  if (error instanceof UnauthorizedError) return ok(problem('unauthorized', 'Unauthorized', 401, error.message), { 'WWW-Authenticate': 'Bearer' });
  if (error instanceof ForbiddenError) return ok(problem('forbidden', 'Forbidden', 403, error.message));
  if (error instanceof NotFoundError) return ok(problem('not-found', 'Not found', 404, error.message));
  if (error instanceof IdempotencyConflictError) return ok(problem('idempotency-key-reused', 'Idempotency-Key reused with a different body', 422, error.message));
  if (error instanceof ConflictError) return ok(problem('conflict', 'Conflict', 409, error.message));
  if (error instanceof InsufficientCreditsError) return ok(problem('insufficient-credits', 'Not enough credits', 402, error.message));
  if (error instanceof RateLimitedError) {
    // The reset as a UTC time a person can read (Retry-After keeps the seconds for programs).
    const resetAt = error.resetAt ?? new Date(Math.ceil((Date.now() + error.retryAfterSeconds * 1000) / 1000) * 1000).toISOString();
    const detail = `${error.message}; the limit resets at ${resetAt.replace(/\.000Z$/, 'Z')} (UTC), in ${error.retryAfterSeconds} s`;
    // The per-user token bucket (submit-rate.ts) is the same 429 with its own title: waiting seconds, not a day.
    const title =
      error instanceof SubmitRateExceededError ? 'Submitting too fast' : error instanceof PublishRateExceededError ? 'Publishing too often' : 'Daily submission limit reached';
    return ok(problem('rate-limited', title, 429, detail), {
      'Retry-After': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof ServiceUnavailableError) {
    return { problem: problem('service-unavailable', 'Service unavailable', 503, error.message), headers: { 'Retry-After': '5' }, internal: true };
  }
  return { problem: problem('internal-error', 'Internal error', 500, 'Something went wrong on our side; try again later'), headers: {}, internal: true };
}
