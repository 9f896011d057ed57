import { defineConfig } from 'vitest/config';

// The fault suite (issue 8) starts real processes and injects faults; run one file at a time.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
