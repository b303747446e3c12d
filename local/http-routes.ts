import { join } from 'node:path';
import { HANDLER_ENTRIES, REPO_ROOT } from '../lib/handler-entries.ts';

// Entries not (yet) in lib/handler-entries.ts: the admin user routes and the sweeper.
const entry = (relative: string): string => join(REPO_ROOT, 'lambdas', 'handlers', relative);
export const SWEEPER_ENTRY = entry('sweeper/requeue-stuck.ts');

/** One HTTP API route: `routeKey` as API Gateway writes it, and the production handler it invokes. */
export interface HttpRouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template with `{name}` parameters, as in the CDK route. */
  readonly path: string;
  readonly entry: string;
}

/** The HTTP API's routes (docs/wiring.md). Every one sits behind the JWT authorizer. */
export const HTTP_ROUTES: readonly HttpRouteDef[] = [
  { method: 'POST', path: '/backtests', entry: HANDLER_ENTRIES.submit },
  { method: 'GET', path: '/backtests', entry: HANDLER_ENTRIES.listJobs },
  { method: 'GET', path: '/backtests/{jobId}', entry: HANDLER_ENTRIES.getJob },
  { method: 'DELETE', path: '/backtests/{jobId}', entry: HANDLER_ENTRIES.cancelJob },
  { method: 'GET', path: '/admin/queues', entry: HANDLER_ENTRIES.adminQueues },
  { method: 'GET', path: '/admin/users/{userId}', entry: entry('api/admin-user.ts') },
  { method: 'POST', path: '/admin/users/{userId}/credits', entry: entry('api/admin-credits.ts') },
  { method: 'PUT', path: '/admin/users/{userId}/tier', entry: entry('api/admin-tier.ts') },
];

/** The HTTP API's `corsPreflight` (lib/constructs/http-api.ts), for browser clients of the local API. */
export const HTTP_CORS = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'DELETE'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  exposeHeaders: ['location'],
  maxAgeSeconds: 3600,
} as const;

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
