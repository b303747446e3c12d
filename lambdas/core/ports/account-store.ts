/** A user's account as an administrator sees it. */
export interface AccountState {
  /** Credits left; undefined when the user has no account yet (it is created on the first submit or grant). */
  credits: number | undefined;
  /** Submissions counted against the daily limit on `day`. */
  submissions: number;
}

/**
 * The credits side of a user (the Users table on AWS and locally). Submissions debit and refunds credit through
 * the JobRepository, atomically with the job; this port is the operator's view and lever: read an account, grant
 * or claw back credits.
 */
export interface AccountStore {
  get(userId: string, day: string): Promise<AccountState>;
  /**
   * Adds `amount` credits (negative claws back) and returns the new balance. A clawback larger than the balance
   * leaves 0: credits never go negative. A user without an account gets one with `initialCredits` first, so a grant
   * before the first submit adds to the tier's starting credits instead of replacing them.
   */
  adjustCredits(userId: string, amount: number, initialCredits: number, now: string): Promise<number>;
}
