import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface HttpEventInput {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Route template as the HTTP API declares it, e.g. `/backtests/{jobId}`. */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A string is sent as is (for malformed JSON); anything else is JSON-encoded. */
  body?: unknown;
  /** Verified JWT claims, as the HTTP API's JWT authorizer passes them. */
  claims?: Record<string, string | number | boolean | string[]>;
}

/** An API Gateway HTTP API (payload 2.0) event with JWT authorizer claims. */
export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  let rawPath = input.route;
  for (const [k, v] of Object.entries(input.pathParameters ?? {})) rawPath = rawPath.replace(`{${k}}`, encodeURIComponent(v));
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  const body = input.body === undefined ? undefined : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const headers = Object.fromEntries(Object.entries({ 'content-type': 'application/json', authorization: 'Bearer test-token', ...input.headers }).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.route}`,
    rawPath,
    rawQueryString,
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-test',
      domainName: 'api-test.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api-test',
      http: { method: input.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${Math.random().toString(16).slice(2)}`,
      routeKey: `${input.method} ${input.route}`,
      stage: '$default',
      time: '01/Mar/2024:12:00:00 +0000',
      timeEpoch: Date.parse('2024-03-01T12:00:00Z'),
      authorizer: { principalId: null, integrationLatency: null, jwt: { claims: input.claims ?? {}, scopes: null } },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export function claimsFor(userId: string, tier: 'free' | 'basic' | 'pro' = 'free', admin = false): Record<string, string> {
  return { sub: userId, tier, ...(admin ? { admin: 'true' } : {}), iss: 'backtest-local', aud: 'backtest-local' };
}
