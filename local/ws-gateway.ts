import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { lambdaContext, type LambdaHandler } from './lambda-runtime.ts';
import { closeServer } from './http-gateway.ts';
import { apiGatewayTime, headersOf, readBody, sendJson, BodyTooLargeError, type Logger } from './http-util.ts';

export interface WsGatewayHandlers {
  authorizer: () => Promise<LambdaHandler>;
  connect: () => Promise<LambdaHandler>;
  disconnect: () => Promise<LambdaHandler>;
  /** Serves `subscribe`, `unsubscribe` and `$default` (one function on AWS too). */
  message: () => Promise<LambdaHandler>;
}

export interface WsGatewayOptions {
  handlers: WsGatewayHandlers;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Stage name put in events. @default 'local' */
  stage?: string;
  log: Logger;
}

export interface WsGateway {
  /** Where clients connect (`?token=` appended by the client). */
  readonly url: string;
  /** Base URL for the ApiGatewayManagementApi client (`WS_MANAGEMENT_ENDPOINT`). */
  readonly managementEndpoint: string;
  readonly port: number;
  /** Open connection ids: tests use it to wait for disconnects. */
  connectionIds(): string[];
  close(): Promise<void>;
}

/** API Gateway's WebSocket message cap. */
const MAX_MESSAGE_BYTES = 128 * 1024;
const ROUTES = new Set(['subscribe', 'unsubscribe']);
const API_ID = 'local-ws';

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly authorizer: Record<string, unknown>;
  /** Messages are handled one at a time per connection, in arrival order. */
  queue: Promise<void>;
}

export class AuthorizerDeniedError extends Error {
  override name = 'AuthorizerDeniedError';
}

/**
 * The WebSocket API on one machine. The upgrade runs the production REQUEST authorizer and `$connect` handler
 * (refusing the upgrade as API Gateway would), messages are routed by `action`, close runs `$disconnect`, and
 * the same port serves the management API (`/@connections/{id}`, optionally under a stage prefix) that
 * the AWS SDK's ApiGatewayManagementApi client talks to.
 */
export async function startWsGateway(options: WsGatewayOptions): Promise<WsGateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = createServer((req, res) => {
    management(req, res).catch((error: unknown) => {
      options.log.error('management endpoint failure', error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' }, 'application/json');
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrade(req, socket, head).catch((error: unknown) => {
      options.log.error('websocket upgrade failure', error);
      refuse(socket, 500, 'Internal server error');
    });
  });

  function baseContext(routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', connectionId: string, connectedAt: number, req: { sourceIp: string; userAgent: string }, domainName: string) {
    const now = new Date();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN' as const,
      extendedRequestId: randomUUID(),
      requestTime: apiGatewayTime(now),
      requestTimeEpoch: now.getTime(),
      stage,
      connectedAt,
      requestId: randomUUID(),
      domainName,
      connectionId,
      apiId: API_ID,
      identity: { sourceIp: req.sourceIp, userAgent: req.userAgent },
    };
  }

  async function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = headersOf(req);
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      multiQuery[key] = url.searchParams.getAll(key);
      query[key] = multiQuery[key].at(-1) ?? '';
    }
    const multiHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const who = { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' };
    const domainName = headers.host ?? `${host}`;
    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/${stage}/$connect`;

    let authorizerContext: Record<string, unknown>;
    try {
      const authorizer = await options.handlers.authorizer();
      const policy = await authorizer(
        {
          type: 'REQUEST',
          methodArn,
          headers,
          multiValueHeaders: multiHeaders,
          queryStringParameters: query,
          multiValueQueryStringParameters: multiQuery,
          stageVariables: {},
          requestContext: baseContext('$connect', 'CONNECT', connectionId, connectedAt, who, domainName),
        },
        lambdaContext('ws-authorizer', 10_000),
      );
      authorizerContext = allowedContext(policy, methodArn);
    } catch (error) {
      // API Gateway answers 401 when the authorizer throws "Unauthorized" or denies; the client sees no details.
      if (!(error instanceof AuthorizerDeniedError) && !(error instanceof Error && error.message === 'Unauthorized')) {
        options.log.error('websocket authorizer failed', error);
      }
      refuse(socket, 401, 'Unauthorized');
      return;
    }

    const requestContext = { ...baseContext('$connect', 'CONNECT', connectionId, connectedAt, who, domainName), authorizer: authorizerContext };
    const connectResult = await invoke(options.handlers.connect, 'ws-connect', {
      headers,
      multiValueHeaders: multiHeaders,
      queryStringParameters: query,
      multiValueQueryStringParameters: multiQuery,
      requestContext,
      isBase64Encoded: false,
    });
    const status = statusOf(connectResult);
    if (status < 200 || status > 299) {
      refuse(socket, status, 'Forbidden');
      return;
    }

    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { id: connectionId, socket: ws, connectedAt, lastActiveAt: connectedAt, ...who, authorizer: authorizerContext, queue: Promise.resolve() };
      connections.set(connectionId, connection);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        connection.lastActiveAt = Date.now();
        const body = rawToBuffer(data);
        connection.queue = connection.queue.then(() => onMessage(connection, body, isBinary, domainName));
      });
      ws.on('close', (code: number, reason: Buffer) => {
        // Gone from the map first: from now on the management API answers 410, as API Gateway does.
        connections.delete(connectionId);
        connection.queue = connection.queue.then(() => onClose(connection, code, reason.toString('utf8'), domainName));
      });
      ws.on('error', (error: Error & { code?: string }) => {
        // A client breaking the protocol (a frame over the cap, bad masking) is closed with the right code by ws;
        // that is the client's problem, not the gateway's.
        if (error.code?.startsWith('WS_ERR_')) return;
        options.log.error(`websocket ${connectionId} error`, error);
      });
    });
  }

  async function onMessage(connection: Connection, body: Buffer, isBinary: boolean, domainName: string): Promise<void> {
    const text = body.toString('utf8');
    const routeKey = routeOf(text);
    const requestContext = { ...baseContext(routeKey, 'MESSAGE', connection.id, connection.connectedAt, connection, domainName), messageId: randomUUID(), authorizer: connection.authorizer };
    const result = await invoke(options.handlers.message, 'ws-message', {
      requestContext,
      body: isBinary ? body.toString('base64') : text,
      isBase64Encoded: isBinary,
    });
    if (result === 'threw' && connection.socket.readyState === WebSocket.OPEN) {
      // What API Gateway sends back when the route's integration fails.
      connection.socket.send(JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId: requestContext.requestId }));
    }
  }

  async function onClose(connection: Connection, code: number, reason: string, domainName: string): Promise<void> {
    const requestContext = {
      ...baseContext('$disconnect', 'DISCONNECT', connection.id, connection.connectedAt, connection, domainName),
      authorizer: connection.authorizer,
      disconnectStatusCode: code,
      disconnectReason: reason,
    };
    await invoke(options.handlers.disconnect, 'ws-disconnect', { requestContext, isBase64Encoded: false });
  }

  async function invoke(load: () => Promise<LambdaHandler>, name: string, event: unknown): Promise<unknown> {
    try {
      const handler = await load();
      return await handler(event, lambdaContext(name, 29_000));
    } catch (error) {
      options.log.error(`${name} threw`, error);
      return 'threw';
    }
  }

  async function management(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = url.pathname.match(/^(?:\/[^/]+)?\/@connections\/([^/]+)$/);
    if (match === null) {
      sendJson(res, 404, { message: 'Not Found' }, 'application/json');
      return;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]);
    } catch {
      sendJson(res, 400, { message: 'Bad connection id' }, 'application/json');
      return;
    }
    const connection = connections.get(connectionId);
    const open = connection !== undefined && connection.socket.readyState === WebSocket.OPEN;
    if (!open) {
      req.resume();
      // The SDK maps the error type header to GoneException, which the notifier treats as "delete the connection".
      res.setHeader('x-amzn-errortype', 'GoneException');
      sendJson(res, 410, { message: `Connection ${connectionId} is gone` }, 'application/json');
      return;
    }
    switch (req.method) {
      case 'POST': {
        let body: Buffer;
        try {
          body = await readBody(req, MAX_MESSAGE_BYTES);
        } catch (error) {
          if (!(error instanceof BodyTooLargeError)) throw error;
          res.setHeader('x-amzn-errortype', 'PayloadTooLargeException');
          sendJson(res, 413, { message: error.message }, 'application/json');
          return;
        }
        await new Promise<void>((resolve, reject) => connection.socket.send(body.toString('utf8'), (error) => (error ? reject(error) : resolve())));
        res.writeHead(200, { 'content-length': 0 }).end();
        return;
      }
      case 'GET':
        sendJson(res, 200, {
          // The wire names are camelCase; the SDK maps them to ConnectedAt, Identity.SourceIp, ...
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        }, 'application/json');
        return;
      case 'DELETE':
        connection.socket.close(1000, 'Closed by the server');
        res.writeHead(204).end();
        return;
      default:
        sendJson(res, 405, { message: 'Method Not Allowed' }, 'application/json');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}`,
    port,
    connectionIds: () => [...connections.keys()],
    async close() {
      for (const connection of connections.values()) connection.socket.terminate();
      await Promise.allSettled([...connections.values()].map((c) => c.queue));
      wss.close();
      await closeServer(server);
    },
  };
}

/** Route selection `$request.body.action`: a known action, else `$default` (also for non-JSON bodies). */
export function routeOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'action' in parsed) {
      const action = (parsed as { action: unknown }).action;
      if (typeof action === 'string' && ROUTES.has(action)) return action;
    }
  } catch {
    // not JSON: $default
  }
  return '$default';
}

/**
 * Reads a REQUEST authorizer's IAM policy: allowed only if a statement allows invoking `methodArn` and none
 * denies it. Returns the context API Gateway hands to the routes (`principalId` plus the authorizer's context).
 */
export function allowedContext(policy: unknown, methodArn: string): Record<string, unknown> {
  const p = policy as { principalId?: string; policyDocument?: { Statement?: unknown[] }; context?: Record<string, unknown> } | undefined;
  const statements = (p?.policyDocument?.Statement ?? []) as { Effect?: string; Action?: string | string[]; Resource?: string | string[] }[];
  const covers = (s: (typeof statements)[number]): boolean => {
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource ?? ''];
    return resources.some((r) => arnMatches(r, methodArn));
  };
  const allowed = statements.some((s) => s.Effect === 'Allow' && covers(s));
  const denied = statements.some((s) => s.Effect === 'Deny' && covers(s));
  if (!allowed || denied) throw new AuthorizerDeniedError('The authorizer did not allow $connect');
  return { principalId: p?.principalId, ...(p?.context ?? {}) };
}

function arnMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(arn);
}

function statusOf(result: unknown): number {
  if (result === 'threw') return 500;
  if (typeof result === 'object' && result !== null && 'statusCode' in result) return Number((result as { statusCode: unknown }).statusCode);
  return 200;
}

function refuse(socket: Socket, status: number, text: string): void {
  const body = JSON.stringify({ message: text });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Connection ids look like API Gateway's (base64, may contain `/` and `+`), which exercises URL encoding. */
function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}
