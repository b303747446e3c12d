import { warmSymbolCatalog } from '../shared/dependencies.ts';
import { copyDependencies } from '../shared/leaderboard-dependencies.ts';
import { createCopyEntryHandler } from './leaderboard-handlers.ts';

const deps = copyDependencies();
warmSymbolCatalog(deps.submit.symbols!);

/** Lambda entry for `POST /leaderboard/{board}/entries/{entryId}/copy`. */
export const handler = createCopyEntryHandler(deps);
