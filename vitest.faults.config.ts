import { defineConfig } from 'vitest/config';

// The fault suite (issue 8) starts real processes and injects faults; run one file at a time.
// The global setup prints the per-fault summary after the run.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/summary-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
