import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, json } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import { openApiDocument } from './openapi-document.ts';

/**
 * `GET /openapi.json`, without auth: the document describes the API, not anyone's data. Built once per cold start.
 * The server URL is the one the request came in on, so a tool pointed at the document calls the same API.
 */
export function createOpenApiHandler(deps: { logger?: Logger } = {}) {
  const logger = deps.logger ?? createLogger('api');
  let document: Record<string, unknown> | undefined;
  return httpHandler(logger, async (event) => {
    document ??= openApiDocument();
    const host = event.requestContext.domainName;
    const proto = event.headers?.['x-forwarded-proto'] ?? (host?.startsWith('127.0.0.1') || host?.startsWith('localhost') ? 'http' : 'https');
    const servers = host ? [{ url: `${proto}://${host}` }] : [];
    return json(200, { ...document, ...(servers.length > 0 ? { servers } : {}) }, { 'Cache-Control': 'public, max-age=300' });
  });
}
