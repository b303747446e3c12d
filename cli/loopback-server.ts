import { createServer, type Server, type ServerResponse } from 'node:http';
import { CliError, EXIT } from './errors.ts';

/** What came back to the redirect URI: a code and state, or Cognito's error. */
export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

/**
 * The CLI's end of the OAuth redirect: an HTTP server on the loopback interface at one of a few fixed ports (Cognito
 * only redirects to callback URLs the app client lists exactly, so the port cannot be picked by the OS). The first
 * request to /callback is the answer; the browser's page stays open until `answer` says how the sign-in ended.
 */
export interface Loopback {
  readonly port: number;
  /** Resolves with the first callback's query. */
  readonly callback: Promise<CallbackQuery>;
  /** Answers the browser that sent the callback with a short page, then stops taking requests. */
  answer(ok: boolean, text: string): void;
  /** Stops the server and drops every connection (safe to call more than once). */
  close(): Promise<void>;
}

const isBusy = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES';
/** No IPv6 loopback on this machine: nothing can take the port there, so 127.0.0.1 alone is enough. */
const noIpv6 = (error: unknown): boolean => ['EADDRNOTAVAIL', 'EAFNOSUPPORT'].includes((error as NodeJS.ErrnoException).code ?? '');

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function stop(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, text: string): string =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escapeHtml(title)}</title><body style="font-family:system-ui,sans-serif;margin:3rem"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;

/**
 * Listens on the first of `ports` that is free on both loopback addresses: the redirect URI says `localhost`, which a
 * browser may resolve to ::1 before 127.0.0.1, so a port some other program holds on either one is not ours to use.
 */
export async function openLoopback(ports: readonly number[]): Promise<Loopback> {
  let settle: (query: CallbackQuery) => void = () => undefined;
  const callback = new Promise<CallbackQuery>((resolve) => (settle = resolve));
  let pending: ServerResponse | undefined;
  let answered = false;
  // close() waits for the answer page to leave (closing connections at once could cut it off).
  let sent: Promise<void> = Promise.resolve();
  const handler = (req: import('node:http').IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/callback' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not the backtest sign-in callback.\n');
      return;
    }
    if (pending !== undefined || answered) {
      res.writeHead(409, { 'content-type': 'text/html; charset=utf-8' }).end(page('Already answered', 'This sign-in already came back; see the terminal.'));
      return;
    }
    pending = res;
    const q = url.searchParams;
    const value = (name: string): string | undefined => q.get(name) ?? undefined;
    settle({
      ...(value('code') !== undefined ? { code: value('code') } : {}),
      ...(value('state') !== undefined ? { state: value('state') } : {}),
      ...(value('error') !== undefined ? { error: value('error') } : {}),
      ...(value('error_description') !== undefined ? { errorDescription: value('error_description') } : {}),
    });
  };

  for (const port of ports) {
    const servers = [createServer(handler), createServer(handler)];
    try {
      await listen(servers[0], port, '127.0.0.1');
    } catch (error) {
      if (isBusy(error)) continue;
      throw error;
    }
    try {
      await listen(servers[1], port, '::1');
    } catch (error) {
      if (noIpv6(error)) servers.pop();
      else {
        await stop(servers[0]);
        if (isBusy(error)) continue;
        throw error;
      }
    }
    return {
      port,
      callback,
      answer(ok, text) {
        if (answered) return;
        answered = true;
        const res = pending;
        if (res === undefined) return;
        sent = new Promise((resolve) => {
          res.once('finish', resolve);
          res.once('close', resolve);
        });
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(ok ? 'Signed in' : 'Sign-in failed', text));
      },
      close: async () => {
        await sent;
        await Promise.all(servers.map(stop));
      },
    };
  }
  const list = ports.length === 2 ? `${ports[0]} and ${ports[1]}` : ports.join(', ');
  throw new CliError(
    `Ports ${list} on localhost are all in use (another backtest login, or another program): close it and run backtest login again; the app client only accepts callbacks on these ports.`,
    EXIT.failed,
  );
}
