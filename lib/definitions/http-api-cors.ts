/**
 * The HTTP API's CORS preflight answer, as plain data (no CDK import): the CDK construct (lib/constructs/http-api.ts)
 * sets `corsPreflight` from it and the local HTTP gateway (local/http-routes.ts) answers preflights with it.
 */
export const HTTP_API_CORS = {
  /** Tokens travel in a header, never in cookies, so any origin may call; CDK context `corsOrigins` narrows it. */
  defaultAllowOrigins: ['*'],
  /** PUT for the admin tier route: a browser preflights it. */
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  /** `location` of a submitted job. */
  exposeHeaders: ['location'],
  maxAgeSeconds: 60 * 60,
} as const;
