import { adminQueuesDependencies } from '../shared/dependencies.ts';
import { createAdminQueuesHandler } from './admin-queues-handler.ts';

/** Lambda entry for `GET /admin/queues`. */
export const handler = createAdminQueuesHandler(adminQueuesDependencies());
