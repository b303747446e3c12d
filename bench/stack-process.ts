import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readStackFile, type StackFile } from '../local/stack-file.ts';

/** `npm start` in a child process: the stack's event loop and the caller's do not slow each other. */
export interface StackProcess {
  readonly info: StackFile;
  /** SIGTERM (the stack stops its workers and emulators), SIGKILL if it has not exited after 15 s. */
  stop(): Promise<void>;
}

export class StackProcessError extends Error {
  override name = 'StackProcessError';
}

const READY_TIMEOUT_MS = 90_000;

/**
 * Starts `local/main.ts` with its stack file at `stackFile` (so a developer's own `npm start` and the tools that find
 * it are left alone) and resolves once the file names a live process. The child is killed if this process exits.
 */
export async function startStackProcess(options: { cwd: string; stackFile: string; env: Record<string, string>; execArgv?: string[] }): Promise<StackProcess> {
  const child: ChildProcess = spawn(process.execPath, [...(options.execArgv ?? []), join(options.cwd, 'local', 'main.ts')], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, LOCAL_STACK_FILE: options.stackFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for the error message when the stack does not come up; the rest of its output is dropped.
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new StackProcessError(`npm start exited before it was ready:\n${tail}`);
    const info = readStackFile(options.stackFile);
    if (info !== undefined && info.pid === child.pid) return { info, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new StackProcessError(`npm start was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${tail}`);
}
