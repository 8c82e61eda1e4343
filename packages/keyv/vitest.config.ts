import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(
  vitestPreset({
    // Child-process tests import the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
    // Real servers, real HTTP and child processes on a shared, noisy machine.
    testTimeout: 30_000,
  }),
);
