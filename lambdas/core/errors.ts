/**
 * Named errors of the job system. One place (the HTTP error mapper in handlers) turns them into problem responses
 * by `instanceof`; nothing serializes a raw error into a response.
 */

export interface FieldIssue {
  path: string;
  message: string;
}

/** Bad input from a client: 400 (or 422 where noted), with the offending fields. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[], message = 'The request is not valid') {
    super(message);
    this.issues = issues;
  }
}

export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** Missing, or owned by someone else: the caller cannot tell which. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The request conflicts with the job's state, e.g. cancelling a finished job. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Same Idempotency-Key, different body. */
export class IdempotencyConflictError extends Error {
  override name = 'IdempotencyConflictError';
}

export class InsufficientCreditsError extends Error {
  override name = 'InsufficientCreditsError';
  readonly needed: number;
  readonly available: number;
  constructor(needed: number, available: number) {
    super(`This job needs ${needed} credit(s); ${available} left`);
    this.needed = needed;
    this.available = available;
  }
}

export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  readonly limit: number;
  readonly retryAfterSeconds: number;
  /** When the limit resets (ISO 8601 UTC), for the 429 detail; absent = now + retryAfterSeconds. */
  readonly resetAt: string | undefined;
  constructor(limit: number, retryAfterSeconds: number, resetAt?: string) {
    super(`Daily limit of ${limit} submissions reached`);
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
    this.resetAt = resetAt;
  }
}

/** A job that can never succeed (bad spec, unknown symbol): fail at once, never retry. */
export class UnrecoverableJobError extends Error {
  override name = 'UnrecoverableJobError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A dependency (queue, table) failed; the client may retry. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}
