import { rankDependencies } from '../shared/leaderboard-dependencies.ts';
import { createRankBoardHandler } from './leaderboard-handlers.ts';

/** Lambda entry for `GET /leaderboard/{board}`. */
export const handler = createRankBoardHandler(rankDependencies());
