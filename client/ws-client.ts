/**
 * Live progress over the WebSocket API, for the browser and for Node 24 (both have a global WebSocket). Subscriptions
 * asked for before the socket opens are sent once it opens; reconnecting is the caller's decision (the web app and
 * the CLI fall back to polling and call connectProgress again), so this helper never hides a dropped socket.
 */
import type { ProgressMessage } from './types.ts';

export interface ProgressConnectionOptions {
  /** The WebSocket API URL, e.g. `ws://127.0.0.1:3001` or the `wss://…/prod` stage URL. */
  wsUrl: string;
  token: string;
  onMessage: (message: ProgressMessage) => void;
  onOpen?: () => void;
  /** Called once when the socket closes, for whatever reason (`code` 1006 when the server refused the upgrade). */
  onClose?: (event: { code: number; reason: string }) => void;
  /** @default globalThis.WebSocket */
  WebSocket?: new (url: string) => WebSocketLike;
}

/** The part of the WHATWG WebSocket this helper uses (so tests can hand in a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export interface ProgressConnection {
  subscribe(jobId: string): void;
  unsubscribe(jobId: string): void;
  close(): void;
  /** Job ids currently subscribed (sent, or waiting for the socket to open). */
  readonly subscriptions: ReadonlySet<string>;
  /** Watches a leaderboard board: its new entries arrive as `{"type":"leaderboard"}` messages (docs/leaderboard.md). */
  watchBoard(board: string): void;
  unwatchBoard(board: string): void;
}

const OPEN = 1;

/** `wsUrl` with `token` added to its query string (the $connect authorizer reads it there). */
export function progressUrl(wsUrl: string, token: string): string {
  const url = new URL(wsUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

export function connectProgress(options: ProgressConnectionOptions): ProgressConnection {
  const Ctor = options.WebSocket ?? (globalThis.WebSocket as unknown as new (url: string) => WebSocketLike);
  const socket = new Ctor(progressUrl(options.wsUrl, options.token));
  const subscriptions = new Set<string>();
  const boards = new Set<string>();
  let closed = false;

  const send = (action: 'subscribe' | 'unsubscribe', jobId: string): void => {
    if (socket.readyState === OPEN) socket.send(JSON.stringify({ action, jobId }));
  };

  const sendBoard = (action: 'watchBoard' | 'unwatchBoard', board: string): void => {
    if (socket.readyState === OPEN) socket.send(JSON.stringify({ action, board }));
  };

  socket.addEventListener('open', () => {
    for (const jobId of subscriptions) send('subscribe', jobId);
    for (const board of boards) sendBoard('watchBoard', board);
    options.onOpen?.();
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch {
      return; // Not ours to interpret: the API only sends JSON objects.
    }
    if (typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string') {
      options.onMessage(message as ProgressMessage);
    }
  });
  // A failed upgrade fires 'error' then 'close'; the close handler is the one place callers learn about it.
  socket.addEventListener('error', () => {});
  socket.addEventListener('close', (event) => {
    if (closed) return;
    closed = true;
    options.onClose?.({ code: event.code, reason: event.reason });
  });

  return {
    subscribe(jobId) {
      if (subscriptions.has(jobId)) return;
      subscriptions.add(jobId);
      send('subscribe', jobId);
    },
    unsubscribe(jobId) {
      if (!subscriptions.delete(jobId)) return;
      send('unsubscribe', jobId);
    },
    close() {
      socket.close(1000, 'client closed');
    },
    subscriptions,
    watchBoard(board) {
      if (boards.has(board)) return;
      boards.add(board);
      sendBoard('watchBoard', board);
    },
    unwatchBoard(board) {
      if (!boards.delete(board)) return;
      sendBoard('unwatchBoard', board);
    },
  };
}
