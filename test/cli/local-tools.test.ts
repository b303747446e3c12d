import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeStackFile, type StackFile } from '../../local/stack-file.ts';
import { tempDir } from '../support/temp-dir.ts';

// What a new user met: a second `npm start` that only said EADDRINUSE, and `npm run token -- --help` refused as an
// unknown option. Both run as child processes, as npm runs them; neither needs the emulators (the port check comes
// before they start).
const ROOT = join(import.meta.dirname, '..', '..');
// Starting Node 24 (or npx) takes seconds on a loaded 2-core machine: the process and test timeouts only bound a hang.
const run = promisify(execFile);

async function node(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, script), ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const servers: Server[] = [];
async function listening(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}
async function freePort(): Promise<number> {
  const port = await listening();
  await new Promise((resolve) => servers.pop()!.close(resolve));
  return port;
}

/** A stack file as a running `npm start` writes it; this test process plays the running stack (its pid is alive). */
function fakeStackFile(httpPort: number, wsPort: number): string {
  const file = join(tempDir('cli-tools-'), 'stack.json');
  const info: StackFile = {
    pid: process.pid, httpUrl: `http://127.0.0.1:${httpPort}`, wsUrl: `ws://127.0.0.1:${wsPort}`, dynamodbEndpoint: 'http://127.0.0.1:1',
    sqsEndpoint: 'http://127.0.0.1:1', jobsTable: 'j', usersTable: 'u', queues: { free: { url: 'q', dlqUrl: 'd' }, basic: { url: 'q', dlqUrl: 'd' }, pro: { url: 'q', dlqUrl: 'd' } },
    streamFailureQueueUrl: 'f', env: {},
  };
  writeStackFile(info, file);
  return file;
}

let held: number;
let free: number;
beforeAll(async () => {
  held = await listening();
  free = await freePort();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('the package bin', () => {
  it('`npx backtest` in the clone runs cli/backtest.js on the pinned Node 24', { timeout: 120_000 }, async () => {
    const { stdout } = await run('npx', ['--no-install', 'backtest', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(stdout).toMatch(/^Usage: backtest \[options\] \[command\]/);
    expect(stdout).toContain('submit [options]');
  });
});

describe('a second npm start', () => {
  it('says one is already running, where, and how to choose other ports', { timeout: 120_000 }, async () => {
    const stackFile = fakeStackFile(held, free);
    const second = await node('local/main.ts', [], { HTTP_PORT: String(held), WS_PORT: String(free), LOCAL_STACK_FILE: stackFile });

    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `The local stack is already running (npm start, pid ${process.pid}) at http://127.0.0.1:${held}: use that one (npx backtest finds it), stop it with Ctrl-C in its terminal, or start another on other ports: HTTP_PORT=${held + 100} WS_PORT=${free + 100} npm start`,
    );
    expect(second.stdout).not.toContain('Starting the local stack');
  });

  it('names the variable when another program holds a port', { timeout: 120_000 }, async () => {
    const second = await node('local/main.ts', [], { HTTP_PORT: String(free), WS_PORT: String(held), LOCAL_STACK_FILE: join(tempDir('cli-tools-'), 'none.json') });

    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`WS_PORT ${held} is already in use by another program: stop it, or choose other ports: HTTP_PORT=${free + 100} WS_PORT=${held + 100} npm start`);
  });
});

describe('npm run token', () => {
  it('--help prints the usage, with the 1-hour lifetime; an unknown option prints it too and exits 2', { timeout: 120_000 }, async () => {
    const help = await node('local/token-cli.ts', ['--help'], {});
    const bad = await node('local/token-cli.ts', ['--user', 'a', '--bogus'], {});

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run -s token -- --user <id>/);
    expect(help.stdout).toContain('--ttl <seconds>  lifetime (default 3600: a token lasts 1 hour)');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("token: Unknown option '--bogus'");
    expect(bad.stderr).toContain('usage: npm run -s token');
  });

  it('--link prints the running stack\'s web sign-in link with the token in the fragment', { timeout: 120_000 }, async () => {
    const stackFile = fakeStackFile(held, free);
    const link = await node('local/token-cli.ts', ['--user', 'web-user', '--tier', 'pro', '--link', '--key-dir', tempDir('cli-keys-')], { LOCAL_STACK_FILE: stackFile });

    expect(link.code).toBe(0);
    const match = new RegExp(`^http://127\\.0\\.0\\.1:${held}/#token=([\\w-]+\\.[\\w-]+\\.[\\w-]+)\\n$`).exec(link.stdout);
    expect(match).not.toBeNull();
    expect(JSON.parse(Buffer.from(match![1].split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ sub: 'web-user', tier: 'pro' });
  });
});
