import { submitDependencies } from '../shared/dependencies.ts';
import { createSubmitHandler } from './submit-handler.ts';

/** Lambda entry for `POST /backtests` (see docs/wiring.md). */
export const handler = createSubmitHandler(submitDependencies());
