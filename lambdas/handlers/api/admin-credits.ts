import { adminUsersDependencies } from '../shared/dependencies.ts';
import { createAdminCreditsHandler } from './admin-credits-handler.ts';

/** Lambda entry for `POST /admin/users/{userId}/credits`. */
export const handler = createAdminCreditsHandler(adminUsersDependencies());
