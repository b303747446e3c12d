import { readDependencies } from '../shared/dependencies.ts';
import { createJobTradesHandler } from './result-handlers.ts';

/** Lambda entry for `GET /backtests/{jobId}/trades`. */
export const handler = createJobTradesHandler(readDependencies());
