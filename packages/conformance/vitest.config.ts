import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(
  vitestPreset({
    // The self-test runs the whole table against each broken store: seconds each, more under load.
    testTimeout: 60_000,
  }),
);
