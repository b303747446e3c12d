import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { connectProgress, progressUrl } from '../../client/ws-client.ts';
import type { ProgressMessage } from '../../client/types.ts';

/** A real WebSocket server on a fresh port that records what clients send and lets the test answer. */
async function startServer(accept: (token: string | null) => boolean = () => true) {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info: { req: { url?: string } }) => accept(new URL(info.req.url ?? '/', 'http://x').searchParams.get('token')),
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: unknown[] = [];
  const sockets: ServerSocket[] = [];
  const waiters: (() => void)[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => {
      received.push(JSON.parse(String(data)));
      waiters.splice(0).forEach((w) => w());
    });
  });
  const untilReceived = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (received.length >= n ? resolve() : waiters.push(check));
      check();
    });
  return { server, received, sockets, untilReceived, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
    for (const c of s.clients) c.terminate();
    s.close(() => resolve());
  })));
  servers = [];
});

describe('connectProgress', () => {
  it('adds the token to the URL, keeping the stage path and other query values', () => {
    expect(progressUrl('wss://abc.execute-api.eu-west-1.amazonaws.com/prod', 'a.b.c')).toBe('wss://abc.execute-api.eu-west-1.amazonaws.com/prod?token=a.b.c');
    expect(progressUrl('ws://127.0.0.1:3001/?x=1', 't')).toBe('ws://127.0.0.1:3001/?x=1&token=t');
  });

  it('sends subscriptions made before the socket opened once it opens, and delivers server messages', async () => {
    const srv = await startServer((token) => token === 'good');
    servers.push(srv.server);
    const messages: ProgressMessage[] = [];
    let opened!: () => void;
    let gotMessage!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const got = new Promise<void>((resolve) => (gotMessage = resolve));
    const conn = connectProgress({
      wsUrl: srv.url,
      token: 'good',
      onMessage: (m) => {
        messages.push(m);
        gotMessage();
      },
      onOpen: () => opened(),
    });
    conn.subscribe('job-1');
    conn.subscribe('job-1'); // a repeat is not sent twice

    await open;
    await srv.untilReceived(1);
    conn.subscribe('job-2');
    conn.unsubscribe('job-1');
    await srv.untilReceived(3);
    expect(srv.received).toEqual([
      { action: 'subscribe', jobId: 'job-1' },
      { action: 'subscribe', jobId: 'job-2' },
      { action: 'unsubscribe', jobId: 'job-1' },
    ]);
    expect([...conn.subscriptions]).toEqual(['job-2']);

    srv.sockets[0].send('not json'); // ignored: the next message is the first one delivered
    srv.sockets[0].send(JSON.stringify({ type: 'progress', jobId: 'job-2', status: 'running', progress: 0.5, message: 'Running', at: '2026-11-28T00:00:00Z' }));
    await got;
    expect(messages).toEqual([{ type: 'progress', jobId: 'job-2', status: 'running', progress: 0.5, message: 'Running', at: '2026-11-28T00:00:00Z' }]);
    conn.close();
  });

  it('reports a refused upgrade and a server-side close through onClose, once', async () => {
    const srv = await startServer((token) => token === 'good');
    servers.push(srv.server);

    const refused = await new Promise<{ code: number }>((resolve) => {
      connectProgress({ wsUrl: srv.url, token: 'bad', onMessage: () => {}, onClose: resolve });
    });
    expect(refused.code).toBe(1006);

    let closes = 0;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      connectProgress({
        wsUrl: srv.url,
        token: 'good',
        onMessage: () => {},
        onOpen: () => srv.sockets.at(-1)!.close(4001, 'going away'),
        onClose: (e) => {
          closes += 1;
          resolve(e);
        },
      });
    });
    expect(await closed).toEqual({ code: 4001, reason: 'going away' });
    expect(closes).toBe(1);
  });
});
