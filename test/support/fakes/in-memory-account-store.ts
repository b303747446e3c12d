import { ValidationError } from '../../../lambdas/core/errors.ts';
import type { AccountState, AccountStore, LedgerEntry, LedgerPage } from '../../../lambdas/core/ports/account-store.ts';
import type { Tier } from '../../../lambdas/core/tiers.ts';
import type { InMemoryJobRepository } from './in-memory-job-repository.ts';

/**
 * Accounts over the same in-memory users the fake job repository debits and refunds, as both adapters share the Users
 * table. Its ledger holds the lines this store writes (opening, grants, clawbacks, tier changes); the fake job
 * repository does not write debit and refund lines, so the ledger-equals-balance property is proven against
 * DynamoDB Local (test/contract/credits-ledger.test.ts), not here.
 */
export class InMemoryAccountStore implements AccountStore {
  readonly #jobs: InMemoryJobRepository;
  readonly #ledger = new Map<string, LedgerEntry[]>();
  #sequence = 0;

  constructor(jobs: InMemoryJobRepository) {
    this.#jobs = jobs;
  }

  async get(userId: string, day: string): Promise<AccountState> {
    return { credits: this.#jobs.credits(userId), submissions: this.#jobs.submissionsOn(userId, day) };
  }

  async adjustCredits(userId: string, amount: number, initialCredits: number, now: string, actor?: string): Promise<number> {
    const current = this.#jobs.credits(userId);
    if (current === undefined) this.#append(userId, { at: now, kind: 'opening', amount: initialCredits });
    const before = current ?? initialCredits;
    const next = Math.max(0, before + amount);
    this.#jobs.setCredits(userId, next);
    this.#append(userId, { at: now, kind: amount >= 0 ? 'grant' : 'clawback', amount: next - before, ...(actor ? { by: actor } : {}) });
    return next;
  }

  async recordTierChange(userId: string, from: Tier, to: Tier, now: string, actor: string): Promise<void> {
    this.#append(userId, { at: now, kind: 'tier', amount: 0, by: actor, tierFrom: from, tierTo: to });
  }

  async ledger(userId: string, query: { limit: number; cursor?: string }): Promise<LedgerPage> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
      throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
    }
    const all = [...(this.#ledger.get(userId) ?? [])].reverse();
    const start = query.cursor === undefined ? 0 : all.findIndex((e) => e.entryId === query.cursor) + 1;
    if (query.cursor !== undefined && start === 0) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API issued' }]);
    const items = all.slice(start, start + query.limit);
    return start + query.limit < all.length ? { items, nextCursor: items[items.length - 1].entryId } : { items };
  }

  #append(userId: string, entry: Omit<LedgerEntry, 'entryId'>): void {
    const lines = this.#ledger.get(userId) ?? [];
    lines.push({ entryId: `${entry.at}#${entry.kind}#${++this.#sequence}`, ...entry });
    this.#ledger.set(userId, lines);
  }
}
