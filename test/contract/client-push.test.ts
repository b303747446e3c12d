import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe } from 'vitest';
import WebSocket from 'ws';
import { ApiGatewayClientPush } from '../../lambdas/adapters/api-gateway-client-push.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { silentLogger } from '../../local/http-util.ts';
import { startWsGateway, type WsGateway } from '../../local/ws-gateway.ts';
import { RecordingClientPush } from '../support/fakes/recording-client-push.ts';
import { describeClientPushContract } from './client-push-contract.ts';

describeClientPushContract('RecordingClientPush', async () => {
  const push = new RecordingClientPush();
  let n = 0;
  return {
    push,
    connect: async () => {
      const connectionId = `c${++n}`;
      return {
        connectionId,
        next: async () => push.to(connectionId).at(-1),
      };
    },
    closedConnection: async () => {
      push.gone.add('closed-1');
      push.gone.add('never-existed');
      return 'closed-1';
    },
  };
});

describe('through the local WebSocket gateway', () => {
  let gateway: WsGateway;
  let management: ApiGatewayManagementApiClient;
  const connected: string[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    // The gateway's routes are irrelevant here: allow every connection and report its id.
    const allow = async () => async (event: any) => ({
      principalId: 'u',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { userId: 'u', tier: 'free' },
    });
    const ok = async () => async () => ({ statusCode: 200 });
    gateway = await startWsGateway({
      port: 0,
      log: silentLogger,
      handlers: {
        authorizer: allow,
        connect: async () => async (event: any) => {
          connected.push(event.requestContext.connectionId);
          return { statusCode: 200 };
        },
        disconnect: ok,
        message: ok,
      },
    });
    management = new ApiGatewayManagementApiClient({ endpoint: gateway.managementEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    management?.destroy();
    await gateway?.close();
  });

  async function open(): Promise<{ connectionId: string; socket: WebSocket; messages: unknown[]; waiters: ((m: unknown) => void)[] }> {
    const socket = new WebSocket(`${gateway.url}?token=any`);
    sockets.push(socket);
    const messages: unknown[] = [];
    const waiters: ((m: unknown) => void)[] = [];
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data));
      const waiter = waiters.shift();
      if (waiter) waiter(parsed);
      else messages.push(parsed);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const connectionId = connected.at(-1);
    if (!connectionId) throw new Error('the connect handler saw no connection');
    return { connectionId, socket, messages, waiters };
  }

  describeClientPushContract('ApiGatewayClientPush', async () => ({
    push: new ApiGatewayClientPush({ client: management }),
    connect: async () => {
      const c = await open();
      return {
        connectionId: c.connectionId,
        next: () => (c.messages.length ? Promise.resolve(c.messages.shift()) : new Promise((resolve) => c.waiters.push(resolve))),
      };
    },
    closedConnection: async () => {
      const c = await open();
      c.socket.close();
      const deadline = Date.now() + 30_000;
      while (gateway.connectionIds().includes(c.connectionId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return c.connectionId;
    },
  }));
});
