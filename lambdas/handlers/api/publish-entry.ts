import { warmSymbolCatalog } from '../shared/dependencies.ts';
import { publishDependencies } from '../shared/leaderboard-dependencies.ts';
import { createPublishHandler } from './leaderboard-handlers.ts';

const deps = publishDependencies();
warmSymbolCatalog(deps.submit.symbols!);

/** Lambda entry for `POST /backtests/{jobId}/publish`. */
export const handler = createPublishHandler(deps);
