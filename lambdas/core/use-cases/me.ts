import type { Principal } from '../principal.ts';
import type { AccountStore } from '../ports/account-store.ts';
import type { Clock } from '../ports/clock.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../tiers.ts';

export interface MeView {
  userId: string;
  tier: Tier;
  admin: boolean;
  /** Credits left; a user who never submitted has their tier's starting credits. */
  credits: number;
  creditsPerJob: number;
  /** Submissions counted today (UTC) against the daily limit. */
  submissionsToday: number;
  /** Submissions allowed per UTC day; null = unlimited. */
  dailyLimit: number | null;
  /** When today's count starts again: the next 00:00 UTC. */
  dailyResetAt: string;
  /** What one job may ask for in this tier. */
  limits: { maxCombinations: number; maxBarEvaluations: number };
}

/** The next 00:00:00 UTC after `nowMs`: when the daily submission count starts again. */
export function nextUtcMidnight(nowMs: number): string {
  const d = new Date(nowMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
}

/**
 * `GET /me`: the caller's own account as their token's tier sees it. The tier is the token's (what their submits are
 * charged and limited by), not the directory's: after an admin change it applies from the next token.
 */
export async function getMe(principal: Principal, deps: { accounts: AccountStore; clock: Clock; tiers?: Readonly<Record<Tier, TierSettings>> }): Promise<MeView> {
  const settings = (deps.tiers ?? TIER_SETTINGS)[principal.tier];
  const nowMs = deps.clock.now();
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const account = await deps.accounts.get(principal.userId, day);
  return {
    userId: principal.userId,
    tier: principal.tier,
    admin: principal.admin,
    credits: account.credits ?? settings.initialCredits,
    creditsPerJob: settings.creditsPerJob,
    submissionsToday: account.submissions,
    dailyLimit: settings.dailySubmissions,
    dailyResetAt: nextUtcMidnight(nowMs),
    limits: { maxCombinations: settings.maxCombinations, maxBarEvaluations: settings.maxBarEvaluations },
  };
}
