import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // PostgreSQL and Redis for the storage suites: see test/support/services/global-setup.ts.
    globalSetup: ['test/support/services/global-setup.ts'],
  },
});
