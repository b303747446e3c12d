import { spawn } from 'node:child_process';

/**
 * Asks the desktop to open `url` in the default browser. Best effort: a server or container has no opener, so the
 * caller always prints the address too, and a missing opener is not an error.
 */
export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  // `start` is a cmd built-in; its first quoted argument is a window title, hence the empty one.
  const [command, args] =
    platform === 'darwin' ? ['open', [url]]
    : platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
    : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the printed address is the way.
  }
}
