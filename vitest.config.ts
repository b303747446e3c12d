import { defineConfig } from 'vitest/config';


export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Emulators (DynamoDB Local, fauxqs) start once per run; tests isolate themselves by name prefix.
    globalSetup: ['test/support/global-setup.ts'],
    // Removes the temporary folders a test file made (test/support/temp-dir.ts) when the file ends.
    setupFiles: ['test/support/temp-dir-cleanup.ts'],
    // A test's timeout only stops a hang: the e2e, CLI and browser tests wait on events, and at load 20-28 on this
    // 2-core machine a test that spawns CLI processes or waits for a job can need well over 30 s while working.
    // Tests whose own waits are longer set their own timeout.
    testTimeout: 90_000,
    // beforeAll hooks start a local stack (emulator tables, worker threads) or synthesize the CDK app: seconds each,
    // several times that on a loaded 2-core machine. The bound only stops a hang.
    hookTimeout: 180_000,
    // expect.poll waits on a condition (a browser page rendering a pushed update); vitest's 1 s default is a wall-clock
    // bound that a loaded 2-core machine misses. The bound only stops a hang: a condition that never holds still fails.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    maxWorkers: 2,
  },
});
