import { NotFoundError } from '../../../lambdas/core/errors.ts';
import type { UserDirectory } from '../../../lambdas/core/ports/user-directory.ts';
import type { Tier } from '../../../lambdas/core/tiers.ts';

/** Tiers in memory. With `knownUsers` set it behaves like Cognito: other users do not exist. */
export class InMemoryUserDirectory implements UserDirectory {
  readonly tiers = new Map<string, Tier>();
  knownUsers: Set<string> | undefined;

  async getTier(userId: string): Promise<Tier | undefined> {
    return this.tiers.get(userId);
  }

  async setTier(userId: string, tier: Tier): Promise<void> {
    if (this.knownUsers && !this.knownUsers.has(userId)) throw new NotFoundError(`No user ${userId}`);
    this.tiers.set(userId, tier);
  }
}
