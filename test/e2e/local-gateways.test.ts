import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { join } from 'node:path';
import WebSocket from 'ws';
import { ApiGatewayManagementApiClient, PostToConnectionCommand, GetConnectionCommand, DeleteConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { loadOrCreateKeys, signToken, verifyToken, type LocalKeys } from '../../local/keys.ts';
import { startHttpGateway, type HttpGateway } from '../../local/http-gateway.ts';
import { startWsGateway, type WsGateway } from '../../local/ws-gateway.ts';
import { silentLogger } from '../../local/http-util.ts';
import type { LambdaHandler } from '../../local/lambda-runtime.ts';
import { until } from '../support/until.ts';
import { tempDir } from '../support/temp-dir.ts';

// The gateways with recording handlers in place of the production ones: what the handlers receive and what the
// client sees must match API Gateway, independently of the handlers' own behaviour.
const seen: { name: string; event: any }[] = [];
const record = (name: string, result: unknown): (() => Promise<LambdaHandler>) => async () => async (event) => {
  seen.push({ name, event });
  return typeof result === 'function' ? (result as (e: any) => unknown)(event) : result;
};

let keys: LocalKeys;
let http: HttpGateway;
let ws: WsGateway;
let token: string;

beforeAll(async () => {
  keys = await loadOrCreateKeys(tempDir('keys-'));
  token = await signToken(keys, { userId: 'alice', tier: 'pro', admin: true });
  http = await startHttpGateway({
    port: 0,
    jwks: keys.jwks,
    log: silentLogger,
    maxBodyBytes: 1000,
    cors: { allowOrigins: ['*'], allowMethods: ['GET', 'POST'], allowHeaders: ['authorization'], exposeHeaders: ['location'], maxAgeSeconds: 60 },
    routes: [
      { method: 'GET', path: '/backtests/{jobId}', load: record('get', { statusCode: 200, headers: { 'x-one': 1 }, body: '{"ok":true}' }) },
      { method: 'POST', path: '/backtests', load: record('submit', 'not-structured') },
      { method: 'GET', path: '/boom', load: async () => async () => { throw new Error('secret detail'); } },
    ],
  });
  ws = await startWsGateway({
    port: 0,
    log: silentLogger,
    handlers: {
      authorizer: record('authorizer', (event: any) => {
        if (event.queryStringParameters?.token !== 'good') throw new Error('Unauthorized');
        return { principalId: 'alice', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] }, context: { userId: 'alice', tier: 'pro' } };
      }),
      connect: record('connect', { statusCode: 200 }),
      disconnect: record('disconnect', { statusCode: 200 }),
      message: record('message', (event: any) => {
        if (event.body === 'explode') throw new Error('boom');
        return { statusCode: 200 };
      }),
    },
  });
});

afterAll(async () => {
  await ws?.close();
  await http?.close();
});

describe('local keys', () => {
  it('signs tokens that verify with the served JWKS and carry the claims', async () => {
    const claims = await verifyToken(keys.jwks, token);
    expect(claims).toMatchObject({ sub: 'alice', tier: 'pro', admin: true, iss: 'backtest-local', aud: 'backtest-local' });
  });

  it('rejects an expired token and a token signed by another key', async () => {
    const expired = await signToken(keys, { userId: 'a', extraClaims: { exp: Math.floor(Date.now() / 1000) - 10 } });
    const other = await loadOrCreateKeys(tempDir('keys-'));
    const foreign = await signToken(other, { userId: 'a' });
    await expect(verifyToken(keys.jwks, expired)).rejects.toThrow();
    await expect(verifyToken(keys.jwks, foreign)).rejects.toThrow();
  });
});

describe('local HTTP API', () => {
  it('serves the JWKS without a token', async () => {
    const res = await fetch(`${http.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { keys: unknown[] }).keys[0]).toMatchObject({ kid: keys.kid, alg: 'RS256', kty: 'RSA' });
  });

  it('answers 401 problem without a token or with a bad one, without calling the handler', async () => {
    const before = seen.length;
    const none = await fetch(`${http.url}/backtests/j1`);
    const bad = await fetch(`${http.url}/backtests/j1`, { headers: { authorization: `Bearer ${token}x` } });
    expect(none.status).toBe(401);
    expect(bad.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(await none.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(seen.length).toBe(before);
  });

  it('builds a payload 2.0 event with stringified claims, path and query parameters', async () => {
    const res = await fetch(`${http.url}/backtests/job%201?status=queued&a=1&a=2`, { headers: { authorization: `Bearer ${token}`, 'X-Custom': 'Yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-one')).toBe('1');
    expect(await res.json()).toEqual({ ok: true });
    const event = seen.findLast((s) => s.name === 'get')!.event;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /backtests/{jobId}',
      rawPath: '/backtests/job%201',
      rawQueryString: 'status=queued&a=1&a=2',
      pathParameters: { jobId: 'job 1' },
      queryStringParameters: { status: 'queued', a: '1,2' },
      isBase64Encoded: false,
      requestContext: { routeKey: 'GET /backtests/{jobId}', stage: '$default', http: { method: 'GET', path: '/backtests/job%201' } },
    });
    expect(event.headers['x-custom']).toBe('Yes');
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({ sub: 'alice', tier: 'pro', admin: 'true', iss: 'backtest-local' });
    expect(typeof event.requestContext.authorizer.jwt.claims.exp).toBe('string');
  });

  it('passes the body and treats an unstructured result as a 200 JSON body', async () => {
    const res = await fetch(`${http.url}/backtests`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('not-structured');
    expect(seen.findLast((s) => s.name === 'submit')!.event.body).toBe('{"x":1}');
  });

  it('refuses bodies over the limit with 413 and unknown routes with 404', async () => {
    const big = await fetch(`${http.url}/backtests`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x'.repeat(2000) });
    const unknown = await fetch(`${http.url}/nope`, { headers: { authorization: `Bearer ${token}` } });
    const wrongMethod = await fetch(`${http.url}/backtests`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect(big.status).toBe(413);
    expect(unknown.status).toBe(404);
    expect(wrongMethod.status).toBe(404);
  });

  it('answers CORS preflights without a token and marks responses for browsers', async () => {
    const before = seen.length;
    const preflight = await fetch(`${http.url}/backtests`, { method: 'OPTIONS', headers: { origin: 'http://app.test', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
    const denied = await fetch(`${http.url}/backtests/j1`, { headers: { origin: 'http://app.test' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    expect(seen.length).toBe(before);
  });

  it('answers 500 without leaking the error when a handler throws', async () => {
    const res = await fetch(`${http.url}/boom`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('secret');
  });
});

function open(query: string): Promise<{ socket: WebSocket; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${ws.url}/?${query}`);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

describe('local WebSocket API', () => {
  it('refuses the upgrade with 401 when the authorizer throws', async () => {
    await expect(open('token=bad')).rejects.toThrow('status 401');
    expect(seen.filter((s) => s.name === 'connect').every((s) => s.event.queryStringParameters.token === 'good')).toBe(true);
  });

  it('connects with the authorizer context, routes by action and disconnects', async () => {
    const { socket, messages } = await open('token=good');
    const connect = seen.findLast((s) => s.name === 'connect')!.event;
    const id = connect.requestContext.connectionId as string;
    expect(connect.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', authorizer: { principalId: 'alice', userId: 'alice', tier: 'pro' } });

    socket.send(JSON.stringify({ action: 'subscribe', jobId: 'j1' }));
    socket.send(JSON.stringify({ action: 'dance' }));
    socket.send('explode');
    await until(() => seen.filter((s) => s.name === 'message' && s.event.requestContext.connectionId === id).length === 3);
    const routes = seen.filter((s) => s.name === 'message' && s.event.requestContext.connectionId === id).map((s) => s.event.requestContext.routeKey);
    expect(routes).toEqual(['subscribe', '$default', '$default']);
    await until(() => messages.length === 1);
    expect(JSON.parse(messages[0])).toMatchObject({ message: 'Internal server error', connectionId: id });

    socket.close();
    await until(() => seen.some((s) => s.name === 'disconnect' && s.event.requestContext.connectionId === id));
  });

  it('serves the management API to the AWS SDK, with and without a stage prefix, and 410 for unknown ids', async () => {
    const { socket, messages } = await open('token=good');
    const id = seen.findLast((s) => s.name === 'connect')!.event.requestContext.connectionId as string;
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const plain = new ApiGatewayManagementApiClient({ endpoint: ws.managementEndpoint, region: 'us-east-1', credentials });
    const staged = new ApiGatewayManagementApiClient({ endpoint: `${ws.managementEndpoint}/prod`, region: 'us-east-1', credentials });

    await plain.send(new PostToConnectionCommand({ ConnectionId: id, Data: JSON.stringify({ n: 1 }) }));
    await staged.send(new PostToConnectionCommand({ ConnectionId: id, Data: JSON.stringify({ n: 2 }) }));
    await until(() => messages.length === 2);
    expect(messages.map((m) => JSON.parse(m).n)).toEqual([1, 2]);

    const info = await plain.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    expect(info.ConnectedAt).toBeInstanceOf(Date);

    await expect(plain.send(new PostToConnectionCommand({ ConnectionId: 'nope+/=', Data: '{}' }))).rejects.toBeInstanceOf(GoneException);

    const closed = new Promise((r) => socket.once('close', r));
    await staged.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await closed;
    await expect(plain.send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))).rejects.toBeInstanceOf(GoneException);
    expect(ws.connectionIds()).not.toContain(id);
  });
});
