import { defineConfig } from 'vitest/config';

// One process per file keeps each file's servers and ports apart; 2 cores, so at most 2 workers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
