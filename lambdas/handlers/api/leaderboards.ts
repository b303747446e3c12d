import { createListBoardsHandler } from './leaderboard-handlers.ts';

/** Lambda entry for `GET /leaderboards`. */
export const handler = createListBoardsHandler();
