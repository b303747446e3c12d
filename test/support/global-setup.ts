import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../local/emulators.ts';

/**
 * Starts DynamoDB Local and fauxqs once per test run and hands their endpoints to the tests (`inject`).
 * Tests isolate themselves by a fresh name prefix (test/support/emulator-env.ts), so one pair serves all files.
 * If the emulators cannot start (no Java), the reason is provided instead and only the tests that need them fail,
 * with that reason; the engine and core tests still run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!runNeedsEmulators(process.argv.slice(2))) {
    project.provide('emulators', { unavailable: 'not started: no test file selected for this run needs them' });
    return async () => undefined;
  }
  try {
    const started = Date.now();
    const emulators = await startEmulators();
    project.provide('emulators', {
      dynamodbEndpoint: emulators.dynamodbEndpoint,
      sqsEndpoint: emulators.sqsEndpoint,
      startMs: Date.now() - started,
    });
    return () => emulators.stop();
  } catch (error) {
    project.provide('emulators', { unavailable: error instanceof Error ? error.message : String(error) });
    return async () => undefined;
  }
}

/** Test folders whose files talk to the emulators. */
const EMULATOR_FOLDERS = ['test/contract/', 'test/e2e/', 'test/cli/', 'test/browser/'];
/** Vitest options that take a value as the next argument (so that value is not a file filter). */
const VALUE_FLAGS = new Set([
  '-t', '--testNamePattern', '--reporter', '--project', '-c', '--config', '-r', '--root', '--dir', '--pool', '--maxWorkers',
  '--minWorkers', '--shard', '--outputFile', '--environment', '--mode', '--bail', '--retry', '--testTimeout', '--hookTimeout',
  '--sequence.seed', '--exclude',
]);

/**
 * Starting a JVM costs seconds on a small machine, so `vitest run test/engine` should not pay for it. The emulators
 * are skipped only when every CLI filter matches some test file and none of those needs the emulators; anything
 * unclear (no filters, watch mode, an unknown argument) starts them.
 */
export function runNeedsEmulators(args: string[]): boolean {
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === 'run') continue;
    if (arg.startsWith('-')) {
      if (!arg.includes('=') && VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    filters.push(arg.replace(/^\.\//, '').replace(/\\/g, '/'));
  }
  if (filters.length === 0) return true;
  const files = (readdirSync('test', { recursive: true }) as string[])
    .map((f) => join('test', f).replace(/\\/g, '/'))
    .filter((f) => f.endsWith('.test.ts'));
  const matches = filters.map((filter) => files.filter((f) => f.includes(filter)));
  if (matches.some((m) => m.length === 0)) return true;
  return matches.flat().some((f) => EMULATOR_FOLDERS.some((folder) => f.startsWith(folder)));
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: { dynamodbEndpoint: string; sqsEndpoint: string; startMs: number } | { unavailable: string };
  }
}
