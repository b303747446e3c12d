import { symbolsDependencies, warmSymbolCatalog } from '../shared/symbol-catalog-dependencies.ts';
import { createSymbolsHandler } from './symbols-handler.ts';

const deps = symbolsDependencies();
warmSymbolCatalog(deps.symbols);

/** Lambda entry for `GET /symbols`. */
export const handler = createSymbolsHandler(deps);
