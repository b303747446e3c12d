import WebSocket from 'ws';
import { sleep } from '../../support/until.ts';

/** Thin HTTP client over fetch for the local HTTP API. */
export class ApiClient {
  readonly baseUrl: string;
  readonly token: string | undefined;

  constructor(baseUrl: string, token: string | undefined) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers };
  }

  submit(request: unknown): Promise<{ status: number; body: any; headers: Headers }> {
    return this.call('POST', '/backtests', request);
  }

  get(jobId: string): Promise<{ status: number; body: any; headers: Headers }> {
    return this.call('GET', `/backtests/${encodeURIComponent(jobId)}`);
  }

  /** Polls GET /backtests/{jobId} until `done(job)`; returns that job. */
  async waitFor(jobId: string, done: (job: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < end) {
      const { status, body } = await this.get(jobId);
      if (status !== 200) throw new Error(`GET ${jobId} answered ${status}: ${JSON.stringify(body)}`);
      last = body;
      if (done(body)) return body;
      await sleep(50);
    }
    throw new Error(`job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify({ status: last?.status, progress: last?.progress, message: last?.message })}`);
  }
}

/** A WebSocket client that keeps every message it receives, parsed. */
export class SocketClient {
  readonly socket: WebSocket;
  readonly messages: any[] = [];
  private waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Connects, or rejects with `status <code>` when the upgrade is refused. */
  static open(wsUrl: string, token: string | undefined): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(token === undefined ? `${wsUrl}/` : `${wsUrl}/?token=${encodeURIComponent(token)}`);
      socket.once('open', () => resolve(new SocketClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`status ${res.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits until some received message satisfies `match`; returns it. */
  async waitFor(match: (message: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching WebSocket message in ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => [m.type, m.status, m.progress]))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export { sleep, until } from '../../support/until.ts';
