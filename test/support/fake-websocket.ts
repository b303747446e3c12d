import type { WebSocketLike } from '../../client/ws-client.ts';

/**
 * A WebSocket the test drives, for the clients that take a WebSocket constructor (client/ws-client.ts): the test opens
 * it, pushes server messages, and drops it; it records what the client sent. Every one made is in `all`, in order
 * (reset it between tests). `close()` is a drop: the client hears the close it caused, as with a real socket.
 */
export class FakeWebSocket implements WebSocketLike {
  static all: FakeWebSocket[] = [];
  static get last(): FakeWebSocket | undefined {
    return FakeWebSocket.all.at(-1);
  }

  readyState = 0;
  sent: unknown[] = [];
  readonly url: string;
  private listeners: Record<string, ((event: never) => void)[]> = {};

  constructor(url = '') {
    this.url = url;
    FakeWebSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.drop();
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    (this.listeners[type] ??= []).push(listener);
  }
  open(): void {
    this.readyState = 1;
    for (const l of this.listeners.open ?? []) l(undefined as never);
  }
  push(message: unknown): void {
    for (const l of this.listeners.message ?? []) l({ data: JSON.stringify(message) } as never);
  }
  drop(): void {
    this.readyState = 3;
    for (const l of this.listeners.close ?? []) l({ code: 1006, reason: '' } as never);
  }
  /** The job ids of the `subscribe` messages sent, in order. */
  subscribed(): string[] {
    return this.sent.filter((m): m is { action: string; jobId: string } => (m as { action?: string }).action === 'subscribe').map((m) => m.jobId);
  }
}
