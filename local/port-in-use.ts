import { createServer } from 'node:net';
import type { StackFile } from './stack-file.ts';

/** Resolves to true when nothing can listen on host:port because something already does. */
export function portInUse(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * What `npm start` says instead of a bare EADDRINUSE: who holds the port (a running `npm start`, found through its
 * stack file, or some other program) and how to choose other ports. Checked before the emulators start, so a second
 * start fails in a moment instead of after Java has come up.
 */
export async function portConflict(options: { host: string; httpPort: number; wsPort: number; running: StackFile | undefined }): Promise<string | undefined> {
  const busy: string[] = [];
  if (await portInUse(options.host, options.httpPort)) busy.push(`HTTP_PORT ${options.httpPort}`);
  if (await portInUse(options.host, options.wsPort)) busy.push(`WS_PORT ${options.wsPort}`);
  if (busy.length === 0) return undefined;
  const other = `HTTP_PORT=${options.httpPort + 100} WS_PORT=${options.wsPort + 100} npm start`;
  const ports = new Set([options.httpPort, options.wsPort].map(String));
  const running = options.running;
  if (running !== undefined && [running.httpUrl, running.wsUrl].some((url) => ports.has(new URL(url).port))) {
    return `The local stack is already running (npm start, pid ${running.pid}) at ${running.httpUrl}: use that one (npx backtest finds it), stop it with Ctrl-C in its terminal, or start another on other ports: ${other}`;
  }
  return `${busy.join(' and ')} ${busy.length > 1 ? 'are' : 'is'} already in use by another program: stop it, or choose other ports: ${other}`;
}
