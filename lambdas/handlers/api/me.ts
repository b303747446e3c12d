import { meDependencies } from '../shared/dependencies.ts';
import { createMeHandler } from './me-handler.ts';

/** Lambda entry for `GET /me`. */
export const handler = createMeHandler(meDependencies());
