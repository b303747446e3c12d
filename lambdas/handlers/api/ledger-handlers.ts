import type { Logger } from '@aws-lambda-powertools/logger';
import { confirmAdmin } from '../../core/admin-check.ts';
import type { AccountStore } from '../../core/ports/account-store.ts';
import type { AdminDirectory } from '../../core/ports/admin-directory.ts';
import { readOwnLedger, readUserLedger } from '../../core/use-cases/credits-ledger.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

export interface LedgerHandlerDeps {
  accounts: AccountStore;
  logger?: Logger;
  /** Confirms the admin claim for another user's ledger; absent = the claim stands. */
  adminDirectory?: AdminDirectory;
}

/** `GET /me/ledger?limit=&cursor=`: the caller's credit movements and tier changes, newest first. */
export function createOwnLedgerHandler(deps: LedgerHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await readOwnLedger(principalOf(event), event.queryStringParameters, deps)));
}

/** `GET /admin/users/{userId}/ledger?limit=&cursor=`: any user's ledger (admin claim only). */
export function createUserLedgerHandler(deps: LedgerHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) =>
    json(200, await readUserLedger(await confirmAdmin(principalOf(event), deps.adminDirectory), pathParameter(event, 'userId'), event.queryStringParameters, deps)),
  );
}
