import { adminUsersDependencies } from '../shared/dependencies.ts';
import { createAdminTierHandler } from './admin-tier-handler.ts';

/** Lambda entry for `PUT /admin/users/{userId}/tier`. */
export const handler = createAdminTierHandler(adminUsersDependencies());
