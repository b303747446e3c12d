import { createStrategiesHandler } from './strategies-handler.ts';

/** Lambda entry for `GET /strategies` (no dependencies: the strategies are compiled in). */
export const handler = createStrategiesHandler();
