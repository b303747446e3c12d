import { symbolsDependencies } from '../shared/dependencies.ts';
import { createSymbolsHandler } from './symbols-handler.ts';

/** Lambda entry for `GET /symbols`. */
export const handler = createSymbolsHandler(symbolsDependencies());
