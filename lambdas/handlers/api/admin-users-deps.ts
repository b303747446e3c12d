import type { Logger } from '@aws-lambda-powertools/logger';
import type { AdminDirectory } from '../../core/ports/admin-directory.ts';
import type { AdminUserDeps } from '../../core/use-cases/admin-users.ts';

/** What the three `/admin/users/{userId}` handlers share. */
export interface AdminUsersHandlerDeps extends AdminUserDeps {
  logger?: Logger;
  /** Confirms the admin claim (a demoted admin loses rights within a minute); absent = the claim stands. */
  adminDirectory?: AdminDirectory;
}
