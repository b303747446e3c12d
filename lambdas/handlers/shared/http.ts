import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { principalFromClaims, type Principal } from '../../core/principal.ts';
import { mapError, MalformedJsonError, PayloadTooLargeError } from './problem.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Largest request body accepted; a submit body is well under 2 KB. */
export const MAX_BODY_BYTES = 64 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The caller, from the claims the HTTP API's JWT authorizer verified. */
export function principalOf(event: HttpEvent): Principal {
  return principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
}

/** The JSON body, refusing oversized and malformed ones before anything parses them further. */
export function jsonBody(event: HttpEvent, limitBytes = MAX_BODY_BYTES): unknown {
  if (event.body === undefined || event.body === '') throw new MalformedJsonError('The request needs a JSON body');
  // Refuse by the encoded length first, so an oversized base64 body is never decoded (4 chars carry 3 bytes).
  if (event.isBase64Encoded && Math.floor((event.body.length * 3) / 4) > limitBytes + 2) throw new PayloadTooLargeError(limitBytes);
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > limitBytes) throw new PayloadTooLargeError(limitBytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedJsonError('The request body is not valid JSON');
  }
}

/** Headers by lower-case name (HTTP API payload 2.0 already lower-cases them; this keeps tests honest). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Middy error middleware (register it last, so it wraps everything): every error becomes an
 * application/problem+json response. The service's own failures are logged with their cause; client errors at info.
 */
export function problemResponses(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'problemResponses',
    onError: (request) => {
      const { problem, headers, internal } = mapError(request.error);
      if (internal) logger.error('request failed', { status: problem.status, routeKey: request.event.routeKey, error: request.error as Error });
      else logger.info('request refused', { status: problem.status, routeKey: request.event.routeKey, problemType: problem.type });
      request.response = {
        statusCode: problem.status,
        headers: { 'Content-Type': 'application/problem+json', ...headers },
        body: JSON.stringify(problem),
      };
    },
  };
}

/**
 * The middy chain every HTTP handler shares: Lambda context in logs, then the problem mapper (registered last so
 * its onError sees every error), then the handler.
 */
export function httpHandler(logger: Logger, handle: (event: HttpEvent) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(problemResponses(logger))
    .handler(handle);
}

/** A path parameter the route guarantees; absent only if the route is misconfigured. */
export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new Error(`route ${event.routeKey} has no path parameter ${name}`);
  return value;
}
