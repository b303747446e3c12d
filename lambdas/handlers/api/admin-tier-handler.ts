import { confirmAdmin } from '../../core/admin-check.ts';
import { changeTier, requireAdmin } from '../../core/use-cases/admin-users.ts';
import { httpHandler, json, jsonBody, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import type { AdminUsersHandlerDeps } from './admin-users-deps.ts';

/** `PUT /admin/users/{userId}/tier` with `{tier}`: the tier the user's next token carries. */
export function createAdminTierHandler(deps: AdminUsersHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => {
    const principal = await confirmAdmin(principalOf(event), deps.adminDirectory);
    requireAdmin(principal);
    const changed = await changeTier(principal, pathParameter(event, 'userId'), jsonBody(event), deps);
    logger.info('tier changed', { admin: principal.userId, userId: changed.userId, tier: changed.tier, previousTier: changed.previousTier });
    return json(200, { ...changed, effective: 'with the next token the user obtains' });
  });
}
