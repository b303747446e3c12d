import type { AccountState, AccountStore } from '../../../lambdas/core/ports/account-store.ts';
import type { InMemoryJobRepository } from './in-memory-job-repository.ts';

/** Accounts over the same in-memory users the fake job repository debits and refunds, as both adapters share the Users table. */
export class InMemoryAccountStore implements AccountStore {
  readonly #jobs: InMemoryJobRepository;

  constructor(jobs: InMemoryJobRepository) {
    this.#jobs = jobs;
  }

  async get(userId: string, day: string): Promise<AccountState> {
    return { credits: this.#jobs.credits(userId), submissions: this.#jobs.submissionsOn(userId, day) };
  }

  async adjustCredits(userId: string, amount: number, initialCredits: number, _now: string): Promise<number> {
    const next = Math.max(0, (this.#jobs.credits(userId) ?? initialCredits) + amount);
    this.#jobs.setCredits(userId, next);
    return next;
  }
}
