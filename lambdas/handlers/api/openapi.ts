import { createOpenApiHandler } from './openapi-handler.ts';

/** Lambda entry for `GET /openapi.json` (no auth, no dependencies). */
export const handler = createOpenApiHandler();
