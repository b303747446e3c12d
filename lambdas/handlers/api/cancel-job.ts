import { cancelDependencies } from '../shared/dependencies.ts';
import { createCancelJobHandler } from './cancel-job-handler.ts';

/** Lambda entry for `DELETE /backtests/{jobId}`. */
export const handler = createCancelJobHandler(cancelDependencies());
