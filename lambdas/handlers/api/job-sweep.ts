import { readDependencies } from '../shared/dependencies.ts';
import { createJobSweepHandler } from './result-handlers.ts';

/** Lambda entry for `GET /backtests/{jobId}/sweep`. */
export const handler = createJobSweepHandler(readDependencies());
