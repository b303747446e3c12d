import { submitDependencies, warmSymbolCatalog } from '../shared/dependencies.ts';
import { createSubmitHandler } from './submit-handler.ts';

const deps = submitDependencies();
warmSymbolCatalog(deps.symbols);

/** Lambda entry for `POST /backtests` (see docs/wiring.md). */
export const handler = createSubmitHandler(deps);
