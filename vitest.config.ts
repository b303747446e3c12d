import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// TODO(lead): drop the existence check once test/support/global-setup.ts has landed.
const globalSetup = existsSync('test/support/global-setup.ts') ? ['test/support/global-setup.ts'] : [];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Emulators (DynamoDB Local, fauxqs) start once per run; tests isolate themselves by name prefix.
    globalSetup,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
