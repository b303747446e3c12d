import { readDependencies } from '../shared/dependencies.ts';
import { createJobEquityHandler } from './result-handlers.ts';

/** Lambda entry for `GET /backtests/{jobId}/equity`. */
export const handler = createJobEquityHandler(readDependencies());
