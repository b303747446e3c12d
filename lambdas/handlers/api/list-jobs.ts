import { readDependencies } from '../shared/dependencies.ts';
import { createListJobsHandler } from './list-jobs-handler.ts';

/** Lambda entry for `GET /backtests`. */
export const handler = createListJobsHandler(readDependencies());
