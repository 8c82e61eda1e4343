import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The child-process fixture imports the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
  },
});
