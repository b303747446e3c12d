import { HTTP_API_CORS } from '../lib/definitions/http-api-cors.ts';
import { httpRouteList, type HttpRouteDefinition } from '../lib/definitions/http-routes.ts';
import { HANDLER_ENTRIES } from '../lib/handler-entries.ts';
import type { CorsSettings } from './http-gateway.ts';

/** One HTTP API route as the local gateway serves it: `routeKey` parts and the production handler it invokes. */
export interface HttpRouteDef {
  readonly method: HttpRouteDefinition['method'];
  /** Path template with `{name}` parameters, as in the CDK route. */
  readonly path: string;
  /** Absolute path of the handler module. */
  readonly entry: string;
}

/**
 * The HTTP API's routes: the same plain-data table the CDK construct builds its routes from
 * (lib/definitions/http-routes.ts), with each handler key resolved to its file. Every one sits behind the JWT authorizer.
 */
export const HTTP_ROUTES: readonly HttpRouteDef[] = httpRouteList().map(({ route }) => ({
  method: route.method,
  path: route.path,
  entry: HANDLER_ENTRIES[route.handler],
}));

/** The HTTP API's `corsPreflight` with its default origins (`*`): the same plain-data object the CDK construct reads. */
export const HTTP_CORS: CorsSettings = {
  allowOrigins: HTTP_API_CORS.defaultAllowOrigins,
  allowMethods: HTTP_API_CORS.allowMethods,
  allowHeaders: HTTP_API_CORS.allowHeaders,
  exposeHeaders: HTTP_API_CORS.exposeHeaders,
  maxAgeSeconds: HTTP_API_CORS.maxAgeSeconds,
};

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
