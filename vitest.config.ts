import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'dist/**'],
    pool: 'forks',
    // Files that start a local stack each run their own PostgreSQL; two at a time fit 2 cores.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // A hang that no test timeout catches (a worker that never exits) is named and ended by the watchdog.
    reporters: ['default', './tests/helpers/summary-reporter.ts', './tests/helpers/watchdog-reporter.ts'],
  },
});
