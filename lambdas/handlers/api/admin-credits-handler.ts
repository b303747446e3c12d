import { confirmAdmin } from '../../core/admin-check.ts';
import { grantCredits, requireAdmin } from '../../core/use-cases/admin-users.ts';
import { httpHandler, json, jsonBody, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import type { AdminUsersHandlerDeps } from './admin-users-deps.ts';

/** `POST /admin/users/{userId}/credits` with `{amount}`: grants or claws back credits, answers the new balance. */
export function createAdminCreditsHandler(deps: AdminUsersHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const principal = await confirmAdmin(principalOf(event), deps.adminDirectory);
    requireAdmin(principal);
    const granted = await grantCredits(principal, pathParameter(event, 'userId'), jsonBody(event), deps);
    // An audit line: who moved whose credits, by how much.
    logger.info('credits adjusted', { admin: principal.userId, userId: granted.userId, amount: granted.amount, credits: granted.credits });
    return json(200, granted);
  });
}
