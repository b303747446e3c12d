import { recorderDependencies } from '../shared/leaderboard-dependencies.ts';
import { createLeaderboardRecorderHandler } from './leaderboard-recorder-handler.ts';

/** Lambda entry for the Jobs table stream's leaderboard consumer. */
export const handler = createLeaderboardRecorderHandler(recorderDependencies());
