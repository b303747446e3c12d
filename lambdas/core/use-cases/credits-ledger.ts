import { ValidationError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { AccountStore, LedgerPage } from '../ports/account-store.ts';
import { requireAdmin } from './admin-users.ts';

export const DEFAULT_LEDGER_PAGE = 50;

/** `?limit=&cursor=` of the ledger routes; a bad limit names the field. */
export function ledgerQuery(params: Record<string, string | undefined> | undefined): { limit: number; cursor?: string } {
  const rawLimit = params?.limit;
  const limit = rawLimit === undefined ? DEFAULT_LEDGER_PAGE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
  return params?.cursor !== undefined ? { limit, cursor: params.cursor } : { limit };
}

/** `GET /me/ledger`: the caller's own credit movements and tier changes, newest first. */
export async function readOwnLedger(principal: Principal, params: Record<string, string | undefined> | undefined, deps: { accounts: AccountStore }): Promise<LedgerPage & { userId: string }> {
  const page = await deps.accounts.ledger(principal.userId, ledgerQuery(params));
  return { userId: principal.userId, ...page };
}

/** `GET /admin/users/{userId}/ledger`: any user's ledger, for administrators (403 for anyone else, before any read). */
export async function readUserLedger(
  principal: Principal,
  userId: string,
  params: Record<string, string | undefined> | undefined,
  deps: { accounts: AccountStore },
): Promise<LedgerPage & { userId: string }> {
  requireAdmin(principal);
  if (!/^[^\s\p{Cc}]{1,128}$/u.test(userId)) throw new ValidationError([{ path: 'userId', message: 'must be 1-128 characters without spaces or control characters' }]);
  const page = await deps.accounts.ledger(userId, ledgerQuery(params));
  return { userId, ...page };
}
