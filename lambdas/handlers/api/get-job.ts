import { readDependencies } from '../shared/dependencies.ts';
import { createGetJobHandler } from './get-job-handler.ts';

/** Lambda entry for `GET /backtests/{jobId}`. */
export const handler = createGetJobHandler(readDependencies());
