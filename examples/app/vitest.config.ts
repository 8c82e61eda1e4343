import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(
  vitestPreset({
    // Each test starts the app as real processes (four node:cluster workers in one).
    testTimeout: 60_000,
  }),
);
