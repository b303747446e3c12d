import { workerDependencies } from '../shared/dependencies.ts';
import { createWorkerHandler } from './worker-handler.ts';

/** Lambda entry for the tier queues' event source mappings (one function per tier, env TIER). */
export const handler = createWorkerHandler(workerDependencies());
