import { adminUsersDependencies } from '../shared/dependencies.ts';
import { createAdminUserHandler } from './admin-user-handler.ts';

/** Lambda entry for `GET /admin/users/{userId}`. */
export const handler = createAdminUserHandler(adminUsersDependencies());
