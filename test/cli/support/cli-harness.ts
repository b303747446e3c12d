import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../../local/stack.ts';
import { errorsOnlyLogger } from '../../../local/http-util.ts';
import { stackFileOf, writeStackFile } from '../../../local/stack-file.ts';
import { emulatorEndpoints, freshPrefix } from '../../support/emulator-env.ts';
import { tempDir } from '../../support/temp-dir.ts';

/**
 * The `backtest` CLI as a user runs it: a child process on the package's bin, finding a local stack through its stack
 * file (a temp one, so a developer's `npm start` is never touched), stdout and stderr kept apart, exit codes. The
 * stack runs in the test's process on fresh ports with the example data a fresh clone ships (examples/data).
 */
const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'backtest.js');
export const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples', 'data');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Run>;
  stdout(): string;
  stderr(): string;
}

export interface CliHarness {
  stack: LocalStack;
  /** Starts the CLI; `extra` is added to a user's environment that has no BACKTEST_* settings of its own. */
  start(args: string[], extra?: Record<string, string>): Running;
  /** Runs the CLI to its end. */
  cli(args: string[], extra?: Record<string, string>): Promise<Run>;
  stop(): Promise<void>;
}

export async function startCliHarness(label: string): Promise<CliHarness> {
  const stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix(label),
    dataDir: EXAMPLES,
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: 'ERROR' },
    sweepIntervalMs: 0,
    log: errorsOnlyLogger,
  });
  const stackFile = join(tempDir('cli-stack-'), 'stack.json');
  // The test's process is the "npm start" the CLI finds: the file names its pid, which is alive.
  writeStackFile(stackFileOf(stack), stackFile);
  // A config folder of its own: a developer's `backtest login` (~/.config/backtest) must not point these runs at AWS.
  const configHome = tempDir('cli-config-');

  const start = (args: string[], extra: Record<string, string> = {}): Running => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STACK_FILE: stackFile, XDG_CONFIG_HOME: configHome, ...extra };
    for (const key of ['BACKTEST_API_URL', 'BACKTEST_WS_URL', 'BACKTEST_TOKEN', 'BACKTEST_USER', 'BACKTEST_WEB_URL']) if (!(key in extra)) delete env[key];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
    return { child, done, stdout: () => stdout, stderr: () => stderr };
  };
  return { stack, start, cli: (args, extra) => start(args, extra).done, stop: () => stack.stop() };
}

/** A user id no other test uses (free allows 3 submissions a day per user). */
export const user = (label: string): string => `${label}-${randomBytes(3).toString('hex')}`;

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
