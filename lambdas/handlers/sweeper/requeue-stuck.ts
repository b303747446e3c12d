import { sweeperDependencies } from '../shared/dependencies.ts';
import { createRequeueStuckHandler } from './requeue-stuck-handler.ts';

/** Lambda entry for the stuck-job sweeper (EventBridge schedule, every minute). */
export const handler = createRequeueStuckHandler(sweeperDependencies());
