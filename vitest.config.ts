import { defineConfig } from 'vitest/config';


export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Emulators (DynamoDB Local, fauxqs) start once per run; tests isolate themselves by name prefix.
    globalSetup: ['test/support/global-setup.ts'],
    // Removes the temporary folders a test file made (test/support/temp-dir.ts) when the file ends.
    setupFiles: ['test/support/temp-dir-cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
