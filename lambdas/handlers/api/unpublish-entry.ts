import { unpublishDependencies } from '../shared/leaderboard-dependencies.ts';
import { createUnpublishHandler } from './leaderboard-handlers.ts';

/** Lambda entry for `DELETE /backtests/{jobId}/publish`. */
export const handler = createUnpublishHandler(unpublishDependencies());
