import type { AdminDirectory } from './ports/admin-directory.ts';
import type { Clock } from './ports/clock.ts';
import type { Principal } from './principal.ts';

/** How long an answer of the directory is trusted: a demoted administrator keeps admin rights at most this long. */
export const ADMIN_CHECK_TTL_MS = 60_000;

/**
 * The caller with `admin` confirmed: the token's claim AND the directory's current answer. Without a directory
 * (the local stack, an external issuer whose admins this service cannot see) the claim stands. Only claimed
 * admins are looked up, so ordinary requests cost nothing.
 */
export async function confirmAdmin<P extends Principal>(principal: P, directory: AdminDirectory | undefined): Promise<P> {
  if (!principal.admin || !directory) return principal;
  return (await directory.isAdmin(principal.userId)) ? principal : { ...principal, admin: false };
}

/**
 * Remembers each user's answer for `ttlMs` per instance: an admin using the operator view does not cost a
 * directory call per request, and a demotion reaches every instance within `ttlMs`.
 */
export class CachedAdminDirectory implements AdminDirectory {
  readonly #inner: AdminDirectory;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #answers = new Map<string, { admin: boolean; until: number }>();

  constructor(inner: AdminDirectory, clock: Clock, ttlMs = ADMIN_CHECK_TTL_MS) {
    this.#inner = inner;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  async isAdmin(userId: string): Promise<boolean> {
    const now = this.#clock.now();
    const known = this.#answers.get(userId);
    if (known && known.until > now) return known.admin;
    const admin = await this.#inner.isAdmin(userId);
    this.#answers.set(userId, { admin, until: now + this.#ttlMs });
    return admin;
  }
}
