import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../local/emulators.ts';

/**
 * Starts DynamoDB Local and fauxqs once per test run and hands their endpoints to the tests (`inject`).
 * Tests isolate themselves by a fresh name prefix (test/support/emulator-env.ts), so one pair serves all files.
 * If the emulators cannot start (no Java), the reason is provided instead and only the tests that need them fail,
 * with that reason; the engine and core tests still run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: { dynamodbEndpoint: string; sqsEndpoint: string; startMs: number } | { unavailable: string };
  }
}
