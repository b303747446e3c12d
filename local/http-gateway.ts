import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { errors as joseErrors, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { verifyToken } from './keys.ts';
import { lambdaContext, type LambdaHandler } from './lambda-runtime.ts';
import { publicRouteKeys, routeKeyOf } from '../lib/definitions/http-routes.ts';
import { matchPath } from './http-routes.ts';
import { apiGatewayTime, headersOf, problem, readBody, sendJson, BodyTooLargeError, type Logger } from './http-util.ts';

export interface HttpGatewayRoute {
  readonly method: string;
  readonly path: string;
  readonly load: () => Promise<LambdaHandler>;
}

export interface HttpGatewayOptions {
  routes: readonly HttpGatewayRoute[];
  jwks: JSONWebKeySet;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest request body accepted. @default 1 MiB (API Gateway allows 10 MB; our bodies are tiny) */
  maxBodyBytes?: number;
  /** Lambda timeout given to API handlers. @default 29 s, API Gateway's integration timeout */
  handlerTimeoutMs?: number;
  /** CORS as the HTTP API's `corsPreflight` configures it; absent = no CORS headers. */
  cors?: CorsSettings;
  log: Logger;
  /** Answers requests no API route matches (the web app's files, local/web-assets.ts); true when it did. */
  fallback?: (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean;
}

export interface CorsSettings {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

export interface HttpGateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const JWKS_PATH = '/.well-known/jwks.json';
const PUBLIC_ROUTES = publicRouteKeys();

/**
 * The HTTP API on one machine: verifies the bearer token as the JWT authorizer would, turns the request into an
 * API Gateway v2 (payload 2.0) event and calls the production handler for the route.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const timeoutMs = options.handlerTimeoutMs ?? 29_000;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.error('http gateway failure', error);
      if (!res.headersSent) sendJson(res, 500, problem(500, 'Internal Server Error', 'The local gateway failed'), 'application/problem+json');
      else res.destroy();
    });
  });

  // Requests Node cannot even parse (a request line or headers over its 16 KB limit, malformed framing) are answered
  // by Node with a bare status line; answer them as problems like every other refusal of this gateway.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, title] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify(problem(status, title, status === 431 ? 'The request line and headers are larger than 16 KB' : 'The request is not valid HTTP'));
    socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (options.cors !== undefined && applyCors(options.cors, req, res, method)) return;
    if (url.pathname === JWKS_PATH && method === 'GET') {
      sendJson(res, 200, options.jwks, 'application/json');
      return;
    }
    const match = findRoute(method, url.pathname);
    if (match === undefined && options.fallback?.(req, res, url.pathname) === true) return;
    if (match === undefined) {
      sendJson(res, 404, problem(404, 'Not Found', `No route for ${method} ${url.pathname}`), 'application/problem+json');
      return;
    }
    // Routes the table marks `auth: 'none'` (GET /openapi.json) have no authorizer on AWS either.
    const open = PUBLIC_ROUTES.has(routeKeyOf(match.route));
    const auth = open ? undefined : await authorize(req);
    if (auth !== undefined && 'refused' in auth) {
      // API Gateway's JWT authorizer gives its reason in WWW-Authenticate's error_description; so does this gateway.
      res.setHeader('www-authenticate', `Bearer error="invalid_token"${auth.expiredAt ? ', error_description="the token has expired"' : ''}`);
      sendJson(res, 401, problem(401, 'Unauthorized', auth.refused), 'application/problem+json');
      return;
    }
    const claims = auth?.claims;
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, problem(413, 'Payload Too Large', error.message), 'application/problem+json');
        return;
      }
      throw error;
    }
    const event = buildEvent(req, url, method, match, claims, body);
    const handler = await match.route.load();
    let result: unknown;
    try {
      result = await handler(event, lambdaContext(`http-${match.route.method}-${match.route.path}`, timeoutMs));
    } catch (error) {
      // API Gateway answers 500 when the integration throws; the error itself never reaches the client.
      options.log.error(`handler for ${event.routeKey} threw`, error);
      sendJson(res, 500, { message: 'Internal Server Error' }, 'application/json');
      return;
    }
    writeResult(res, result);
  }

  function findRoute(method: string, path: string): { route: HttpGatewayRoute; params: Record<string, string> } | undefined {
    for (const route of options.routes) {
      if (route.method !== method) continue;
      const params = matchPath(route.path, path);
      if (params !== undefined) return { route, params };
    }
    return undefined;
  }

  /** The verified claims, or why the token is refused (an expired one says when it expired). */
  async function authorize(req: IncomingMessage): Promise<{ claims: JWTPayload } | { refused: string; expiredAt?: string }> {
    const header = req.headers.authorization;
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (token === undefined) return { refused: 'A valid bearer token is required (Authorization: Bearer <JWT>)' };
    try {
      return { claims: await verifyToken(options.jwks, token) };
    } catch (error) {
      // jose checks the signature before the expiry, so an expired token here was one of ours.
      if (error instanceof joseErrors.JWTExpired && typeof error.payload.exp === 'number') {
        const expiredAt = new Date(error.payload.exp * 1000).toISOString().replace(/\.000Z$/, 'Z');
        return { refused: `The token expired at ${expiredAt} (UTC); get a new one (npm run -s token -- --user <id>)`, expiredAt };
      }
      return { refused: 'A valid bearer token is required' };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${port}`, port, close: () => closeServer(server) };
}

function buildEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  match: { route: HttpGatewayRoute; params: Record<string, string> },
  /** Verified claims; undefined on a route without an authorizer (the event then has no `authorizer`, as on AWS). */
  payload: JWTPayload | undefined,
  body: Buffer,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers = headersOf(req);
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
  const now = new Date();
  const routeKey = routeKeyOf(match.route);
  const text = isTextual(headers['content-type']);
  const cookies = headers.cookie?.split(/;\s*/).filter((c) => c.length > 0);
  const scope = typeof payload?.scope === 'string' ? payload.scope.split(' ').filter((s) => s.length > 0) : null;
  // Cast: the type says every event has an authorizer, which a route without one (GET /openapi.json) does not get.
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies !== undefined && cookies.length > 0 ? { cookies } : {}),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(match.params).length > 0 ? match.params : undefined,
    body: body.length > 0 ? (text ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local-http',
      ...(payload !== undefined
        ? { authorizer: { principalId: null, integrationLatency: null, jwt: { claims: claimsAsApiGatewayWrites(payload), scopes: scope } } }
        : {}),
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/**
 * API Gateway's CORS handling: it answers preflight requests itself (no authorizer, no integration) and adds the
 * allow-origin and expose headers to every other response for an allowed origin. Returns true when it answered.
 */
function applyCors(cors: CorsSettings, req: IncomingMessage, res: ServerResponse, method: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const allowed = cors.allowOrigins.includes('*') ? '*' : cors.allowOrigins.includes(origin) ? origin : undefined;
  if (allowed === undefined) return false;
  if (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, {
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': cors.allowMethods.join(','),
      'access-control-allow-headers': cors.allowHeaders.join(','),
      'access-control-max-age': String(cors.maxAgeSeconds),
    });
    res.end();
    return true;
  }
  res.setHeader('access-control-allow-origin', allowed);
  if (cors.exposeHeaders.length > 0) res.setHeader('access-control-expose-headers', cors.exposeHeaders.join(','));
  return false;
}

/**
 * The HTTP API's JWT authorizer hands claims to the integration as strings: numbers and booleans are
 * stringified and arrays flattened to `[a b]`. Handlers must cope with that on AWS, so they get it here too.
 */
export function claimsAsApiGatewayWrites(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) out[key] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object') out[key] = JSON.stringify(value);
    else out[key] = String(value);
  }
  return out;
}

function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  return /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded|xml))/i.test(contentType);
}

/** Payload 2.0 response rules: a structured result is used as is; anything else is a 200 JSON body. */
function writeResult(res: ServerResponse, result: unknown): void {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const r = result as { statusCode?: number; headers?: Record<string, string | number | boolean>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    res.statusCode = r.statusCode ?? 200;
    for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, String(value));
    if (r.cookies !== undefined) res.setHeader('set-cookie', r.cookies);
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded === true ? 'base64' : 'utf8');
    if (!res.hasHeader('content-type') && body.length > 0) res.setHeader('content-type', 'application/json');
    res.end(body);
    return;
  }
  sendJson(res, 200, result ?? null, 'application/json');
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; a stopping stack does not wait for idle clients.
    server.closeAllConnections();
  });
}
