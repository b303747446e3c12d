import type { HttpRouteId } from './http-routes.ts';

export interface RouteThrottle {
  /** Steady requests per second for the route across all callers. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Per-route throttles of the HTTP API stage, under the stage-wide limit (`apiRateLimit`, `apiBurstLimit`), so a
 * flood of one expensive route cannot take the whole stage's budget: submit (a transaction and a queue send per
 * call) and the admin routes (they fan out to SQS and Cognito) get their own smaller share; every other route uses
 * the stage's. API Gateway applies these before the authorizer, for everybody together: per-client fairness comes
 * from the WAF rate rules (per IP) and the submit token bucket (per user) instead (docs/deploy.md, "Limits").
 */
export const ROUTE_THROTTLES: Partial<Record<HttpRouteId, RouteThrottle>> = {
  submit: { rateLimit: 25, burstLimit: 50 },
  cancelJob: { rateLimit: 25, burstLimit: 50 },
  adminQueues: { rateLimit: 5, burstLimit: 10 },
  adminUser: { rateLimit: 5, burstLimit: 10 },
  adminCredits: { rateLimit: 2, burstLimit: 5 },
  adminTier: { rateLimit: 2, burstLimit: 5 },
};
