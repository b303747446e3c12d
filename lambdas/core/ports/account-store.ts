import type { Tier } from '../tiers.ts';

/** A user's account as an administrator sees it. */
export interface AccountState {
  /** Credits left; undefined when the user has no account yet (it is created on the first submit or grant). */
  credits: number | undefined;
  /** Submissions counted against the daily limit on `day`. */
  submissions: number;
}

/**
 * Why credits moved (or, for `tier`, what changed without moving any):
 * - `opening`: the tier's starting credits, written with the account's first movement;
 * - `debit`: a submit; `refund`: a job that failed or was cancelled; `redebit`: an admin redrive of a failed job;
 * - `grant` / `clawback`: an administrator's adjustment; `tier`: an administrator changed the user's tier (amount 0).
 */
export type LedgerKind = 'opening' | 'debit' | 'refund' | 'redebit' | 'grant' | 'clawback' | 'tier';

/** One append-only ledger line. The amounts of a user's entries add up to their balance. */
export interface LedgerEntry {
  /** Unique and ordered by time within the user's ledger. */
  entryId: string;
  at: string;
  kind: LedgerKind;
  /** Credits added (positive) or taken (negative); 0 for `tier`. */
  amount: number;
  jobId?: string;
  /** Who caused it: the administrator's user id for `grant`, `clawback` and `tier`. */
  by?: string;
  /** `tier` entries: from and to. */
  tierFrom?: Tier;
  tierTo?: Tier;
}

export interface LedgerPage {
  /** Newest first. */
  items: LedgerEntry[];
  nextCursor?: string;
}

/**
 * The credits side of a user (the Users table on AWS and locally). Submissions debit and refunds credit through
 * the JobRepository, atomically with the job and with their ledger entry; this port is the operator's view and
 * lever (read an account, grant or claw back credits, record a tier change) and the ledger's reader.
 */
export interface AccountStore {
  get(userId: string, day: string): Promise<AccountState>;
  /**
   * Adds `amount` credits (negative claws back) and returns the new balance, writing the ledger entry (`grant` or
   * `clawback`, by `actor`) in the same transaction. A clawback larger than the balance leaves 0 and records what
   * was actually taken: credits never go negative. A user without an account gets one with `initialCredits` first
   * (and its `opening` entry), so a grant before the first submit adds to the tier's starting credits.
   */
  adjustCredits(userId: string, amount: number, initialCredits: number, now: string, actor?: string): Promise<number>;
  /** Appends a `tier` entry (the directory holds the tier itself; no credits move). */
  recordTierChange(userId: string, from: Tier, to: Tier, now: string, actor: string): Promise<void>;
  /**
   * The user's ledger, newest first.
   * @throws ValidationError (path `cursor`) for a cursor it did not issue, (path `limit`) outside 1-1000
   */
  ledger(userId: string, query: { limit: number; cursor?: string }): Promise<LedgerPage>;
}
