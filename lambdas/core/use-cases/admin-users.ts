import * as z from '../../../engine/zod-mini.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { AccountStore } from '../ports/account-store.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { UserDirectory } from '../ports/user-directory.ts';
import { TIER_SETTINGS, TIERS, type Tier, type TierSettings } from '../tiers.ts';
import { fieldIssues } from './field-issues.ts';

export interface AdminUserDeps {
  accounts: AccountStore;
  directory: UserDirectory;
  clock: Clock;
  /** @default the tier table in tiers.ts */
  tiers?: Readonly<Record<Tier, TierSettings>>;
}

/** Largest single grant or clawback: catches a mistyped amount (an extra zero or ten) before it lands. */
export const MAX_CREDIT_ADJUSTMENT = 1_000_000;

/** A user id as tokens carry it (`sub`): Cognito UUIDs, or an external issuer's ids such as `auth0|123`. */
const USER_ID = /^[^\s\p{Cc}]{1,128}$/u;

export const creditsBodySchema = z.strictObject({
  amount: z
    .number()
    .check(z.int('must be a whole number of credits'))
    .check(z.gte(-MAX_CREDIT_ADJUSTMENT))
    .check(z.lte(MAX_CREDIT_ADJUSTMENT))
    .check(z.refine((n: number) => n !== 0, 'must not be 0')),
});

export const tierBodySchema = z.strictObject({ tier: z.enum(TIERS) });

export interface UserAccountView {
  userId: string;
  /** The tier the user's next token carries (free when the directory has none). */
  tier: Tier;
  /** Credits left; a user who never submitted shows their tier's starting credits. */
  credits: number;
  /** False until the first submit or grant creates the account. */
  hasAccount: boolean;
  /** UTC day the submission count is for. */
  day: string;
  submissionsToday: number;
  /** The tier's daily limit; null = unlimited. */
  dailyLimit: number | null;
}

/** Admins only: 403 for anyone else, before any input is looked at (a non-admin learns nothing about the route). */
export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw new ForbiddenError('User administration is for administrators');
}

function checkUserId(userId: string): void {
  if (!USER_ID.test(userId)) throw new ValidationError([{ path: 'userId', message: 'must be 1-128 characters without spaces or control characters' }]);
}

function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}

/** `GET /admin/users/{userId}`: tier, credits and today's submissions. */
export async function getUserAccount(principal: Principal, userId: string, deps: AdminUserDeps): Promise<UserAccountView> {
  requireAdmin(principal);
  checkUserId(userId);
  const tiers = deps.tiers ?? TIER_SETTINGS;
  const day = isoNow(deps.clock).slice(0, 10);
  const [tier = 'free', account] = await Promise.all([deps.directory.getTier(userId), deps.accounts.get(userId, day)]);
  return {
    userId,
    tier,
    credits: account.credits ?? tiers[tier].initialCredits,
    hasAccount: account.credits !== undefined,
    day,
    submissionsToday: account.submissions,
    dailyLimit: tiers[tier].dailySubmissions,
  };
}

/** `POST /admin/users/{userId}/credits` with `{amount}`: grants (or claws back, never below 0) and returns the balance. */
export async function grantCredits(principal: Principal, userId: string, body: unknown, deps: AdminUserDeps): Promise<{ userId: string; credits: number; amount: number }> {
  requireAdmin(principal);
  checkUserId(userId);
  const { amount } = parseBody(creditsBodySchema, body);
  const tiers = deps.tiers ?? TIER_SETTINGS;
  const tier = (await deps.directory.getTier(userId)) ?? 'free';
  const credits = await deps.accounts.adjustCredits(userId, amount, tiers[tier].initialCredits, isoNow(deps.clock), principal.userId);
  return { userId, credits, amount };
}

/** `PUT /admin/users/{userId}/tier` with `{tier}`: the tier the user's next token carries. */
export async function changeTier(principal: Principal, userId: string, body: unknown, deps: AdminUserDeps): Promise<{ userId: string; tier: Tier; previousTier: Tier }> {
  requireAdmin(principal);
  checkUserId(userId);
  const { tier } = parseBody(tierBodySchema, body);
  const previousTier = (await deps.directory.getTier(userId)) ?? 'free';
  await deps.directory.setTier(userId, tier);
  // After the directory changed (Cognito cannot join a DynamoDB transaction): a failure here leaves the tier changed
  // and the request failed, so the operator retries and the ledger gets its line (a repeated line says the same).
  await deps.accounts.recordTierChange(userId, previousTier, tier, isoNow(deps.clock), principal.userId);
  return { userId, tier, previousTier };
}
