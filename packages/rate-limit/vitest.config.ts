import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(
  vitestPreset({
    // Child-process fixtures import the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
  }),
);
