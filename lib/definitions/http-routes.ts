import type { HandlerName } from '../handler-entries.ts';

/**
 * The HTTP API's routes as plain data (no CDK import): the CDK construct (lib/constructs/http-api.ts) adds one Lambda
 * and one route per entry, with the grants it keys by the same id, and the local HTTP gateway (local/http-routes.ts)
 * serves the same entries, so a route added here exists in both. Every route sits behind the JWT authorizer unless it
 * says `auth: 'none'` (only GET /openapi.json); which routes need the admin claim is decided by the handlers, not by
 * the routing, so it is not recorded here.
 */
export interface HttpRouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template with `{name}` parameters, as API Gateway writes it in the route key. */
  readonly path: string;
  /** Key of the production handler in HANDLER_ENTRIES. */
  readonly handler: HandlerName;
  /** What the route does: the function's description after its route key. */
  readonly summary: string;
  /**
   * `none`: no authorizer (on AWS the route is added without the JWT authorizer, locally the gateway skips the token
   * check). Only for documents anyone may read. @default 'jwt'
   */
  readonly auth?: 'jwt' | 'none';
}

/** Keyed by route id, which the CDK construct also uses for the function (`Submit`, `GetJob`, ...) and its grants. */
export const HTTP_ROUTES = {
  submit: { method: 'POST', path: '/backtests', handler: 'submit', summary: 'validate, rate-limit, debit credits, enqueue on the tier queue' },
  listJobs: { method: 'GET', path: '/backtests', handler: 'listJobs', summary: "the caller's jobs, newest first" },
  getJob: { method: 'GET', path: '/backtests/{jobId}', handler: 'getJob', summary: 'one job of the caller' },
  cancelJob: { method: 'DELETE', path: '/backtests/{jobId}', handler: 'cancelJob', summary: 'cancel and refund' },
  adminQueues: { method: 'GET', path: '/admin/queues', handler: 'adminQueues', summary: 'per-tier queue and DLQ depth (admin only)' },
  adminUser: { method: 'GET', path: '/admin/users/{userId}', handler: 'adminUser', summary: "a user's tier, credits and submissions today (admin only)" },
  adminCredits: { method: 'POST', path: '/admin/users/{userId}/credits', handler: 'adminCredits', summary: "grant or claw back a user's credits (admin only)" },
  adminTier: { method: 'PUT', path: '/admin/users/{userId}/tier', handler: 'adminTier', summary: "the tier of the user's next token (admin only)" },
  me: { method: 'GET', path: '/me', handler: 'me', summary: "the caller's tier, credits, submissions today, daily limit and reset, per-job limits" },
  strategies: { method: 'GET', path: '/strategies', handler: 'strategies', summary: "every strategy with its parameters' JSON Schema" },
  symbols: { method: 'GET', path: '/symbols', handler: 'symbols', summary: 'the market data jobs can run on, and the synthetic pattern' },
  jobEquity: { method: 'GET', path: '/backtests/{jobId}/equity', handler: 'jobEquity', summary: "a succeeded job's equity curve and drawdown" },
  jobTrades: { method: 'GET', path: '/backtests/{jobId}/trades', handler: 'jobTrades', summary: "a succeeded job's trades, paged" },
  jobSweep: { method: 'GET', path: '/backtests/{jobId}/sweep', handler: 'jobSweep', summary: "a succeeded sweep's ranking and two-parameter grid" },
  myLedger: { method: 'GET', path: '/me/ledger', handler: 'myLedger', summary: "the caller's credit movements and tier changes, newest first" },
  adminUserLedger: { method: 'GET', path: '/admin/users/{userId}/ledger', handler: 'adminUserLedger', summary: "a user's credits ledger (admin only)" },
  openapi: { method: 'GET', path: '/openapi.json', handler: 'openapi', summary: 'the OpenAPI 3.1 document of this API (no auth)', auth: 'none' },
  leaderboards: { method: 'GET', path: '/leaderboards', handler: 'leaderboards', summary: 'the leaderboard boards and their in-sample and out-of-sample windows' },
  leaderboard: { method: 'GET', path: '/leaderboard/{board}', handler: 'leaderboard', summary: 'one page of a board, ranked by an out-of-sample metric' },
  publish: { method: 'POST', path: '/backtests/{jobId}/publish', handler: 'publishEntry', summary: 'publish a succeeded job on a board: its out-of-sample run is queued as the caller\'s job' },
  unpublish: { method: 'DELETE', path: '/backtests/{jobId}/publish', handler: 'unpublishEntry', summary: "remove the caller's entry for the job's strategy from a board" },
  copyEntry: { method: 'POST', path: '/leaderboard/{board}/entries/{entryId}/copy', handler: 'copyEntry', summary: "submit a leaderboard entry's strategy and parameters as the caller's own job" },
} as const satisfies Record<string, HttpRouteDefinition>;

export type HttpRouteId = keyof typeof HTTP_ROUTES;

/** `METHOD /path`, as API Gateway writes a route key (and the local gateway puts in `requestContext.routeKey`). */
export const routeKeyOf = (route: { readonly method: string; readonly path: string }): string => `${route.method} ${route.path}`;

/** The routes in table order, each with its id. */
export function httpRouteList(): { readonly id: HttpRouteId; readonly route: HttpRouteDefinition }[] {
  return (Object.keys(HTTP_ROUTES) as HttpRouteId[]).map((id) => ({ id, route: HTTP_ROUTES[id] }));
}

/** Route keys that have no authorizer (`auth: 'none'`). */
export function publicRouteKeys(): ReadonlySet<string> {
  return new Set(httpRouteList().filter(({ route }) => route.auth === 'none').map(({ route }) => routeKeyOf(route)));
}
