import { defineConfig } from 'vitest/config';


export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Emulators (DynamoDB Local, fauxqs) start once per run; tests isolate themselves by name prefix.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
