import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child-process fixtures import the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
  },
});
