import { confirmAdmin } from '../../core/admin-check.ts';
import { getUserAccount } from '../../core/use-cases/admin-users.ts';
import { httpHandler, json, pathParameter, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import type { AdminUsersHandlerDeps } from './admin-users-deps.ts';

/** `GET /admin/users/{userId}`: tier, credits and today's submissions (admin claim only). */
export function createAdminUserHandler(deps: AdminUsersHandlerDeps) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getUserAccount(await confirmAdmin(principalOf(event), deps.adminDirectory), pathParameter(event, 'userId'), deps)));
}
