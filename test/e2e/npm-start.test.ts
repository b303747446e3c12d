import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.ts';

// `npm start` as a user runs it: its own emulators, the ready line, and a clean stop on SIGTERM that leaves no
// DynamoDB Local (Java) behind.
const MAIN = join(import.meta.dirname, '..', '..', 'local', 'main.ts');

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  // Starting the emulators and the web build behind `npm start` took 16 s of the old 90 s in a loaded full run: the
  // time bounds here only stop a hang (a JVM that outlives the stack never closes its port).
  it('prints the ready line with working URLs and stops everything on SIGTERM', { timeout: 240_000 }, async () => {
    const stackFile = join(tempDir('stack-'), 'stack.json');
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, HTTP_PORT: '0', WS_PORT: '0', LOCAL_STACK_FILE: stackFile, LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const end = Date.now() + 150_000;
      while (!output.includes('Ctrl-C stops everything') && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain('Backtest service ready');
      const httpUrl = /HTTP API\s+(http:\/\/\S+)/.exec(output)?.[1];
      const wsUrl = /WebSocket\s+(ws:\/\/[^/\s]+)/.exec(output)?.[1];
      const dynamodb = /DynamoDB\s+(http:\/\/\S+)/.exec(output)?.[1];
      expect(httpUrl && wsUrl && dynamodb).toBeTruthy();
      expect(output).toContain('npx backtest submit --strategy sma-cross');
      expect((await fetch(`${httpUrl}/.well-known/jwks.json`)).status).toBe(200);
      expect((await fetch(`${httpUrl}/backtests`)).status).toBe(401);
      expect(existsSync(stackFile)).toBe(true);
      expect(await portOpen(dynamodb!)).toBe(true);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Java finishes exiting a few tens of ms after its watchdog shell reports; it must not linger beyond that.
      const stoppedAt = Date.now();
      while ((await portOpen(dynamodb!)) && Date.now() - stoppedAt < 30_000) await new Promise((r) => setTimeout(r, 25));
      expect(await portOpen(dynamodb!)).toBe(false);
      expect(await portOpen(httpUrl!)).toBe(false);
      expect(existsSync(stackFile)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
