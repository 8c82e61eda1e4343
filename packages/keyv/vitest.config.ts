import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child-process tests import the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
    // Real servers, real HTTP and child processes on a shared, noisy machine.
    testTimeout: 30_000,
  },
});
