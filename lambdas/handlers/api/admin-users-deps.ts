import type { Logger } from '@aws-lambda-powertools/logger';
import type { AdminUserDeps } from '../../core/use-cases/admin-users.ts';

/** What the three `/admin/users/{userId}` handlers share. */
export interface AdminUsersHandlerDeps extends AdminUserDeps {
  logger?: Logger;
}
