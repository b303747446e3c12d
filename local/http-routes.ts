import { HTTP_API_CORS } from '../lib/definitions/http-api-cors.ts';
import { HANDLER_ENTRIES } from '../lib/handler-entries.ts';
import type { CorsSettings } from './http-gateway.ts';

/** One HTTP API route: `routeKey` as API Gateway writes it, and the production handler it invokes. */
export interface HttpRouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template with `{name}` parameters, as in the CDK route. */
  readonly path: string;
  readonly entry: string;
}

/** The HTTP API's routes (docs/wiring.md, lib/constructs/http-api.ts). Every one sits behind the JWT authorizer. */
export const HTTP_ROUTES: readonly HttpRouteDef[] = [
  { method: 'POST', path: '/backtests', entry: HANDLER_ENTRIES.submit },
  { method: 'GET', path: '/backtests', entry: HANDLER_ENTRIES.listJobs },
  { method: 'GET', path: '/backtests/{jobId}', entry: HANDLER_ENTRIES.getJob },
  { method: 'DELETE', path: '/backtests/{jobId}', entry: HANDLER_ENTRIES.cancelJob },
  { method: 'GET', path: '/admin/queues', entry: HANDLER_ENTRIES.adminQueues },
  { method: 'GET', path: '/admin/users/{userId}', entry: HANDLER_ENTRIES.adminUser },
  { method: 'POST', path: '/admin/users/{userId}/credits', entry: HANDLER_ENTRIES.adminCredits },
  { method: 'PUT', path: '/admin/users/{userId}/tier', entry: HANDLER_ENTRIES.adminTier },
];

/** The HTTP API's `corsPreflight` with its default origins (`*`): the same plain-data object the CDK construct reads. */
export const HTTP_CORS: CorsSettings = {
  allowOrigins: HTTP_API_CORS.defaultAllowOrigins,
  allowMethods: HTTP_API_CORS.allowMethods,
  allowHeaders: HTTP_API_CORS.allowHeaders,
  exposeHeaders: HTTP_API_CORS.exposeHeaders,
  maxAgeSeconds: HTTP_API_CORS.maxAgeSeconds,
};

export const routeKeyOf = (route: { method: string; path: string }): string => `${route.method} ${route.path}`;

/** Matches a concrete path against a template; returns the decoded path parameters or undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i];
    const actual = got[i];
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (actual.length === 0) return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}
