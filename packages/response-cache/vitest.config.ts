import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(
  vitestPreset({
    // The child-process fixture imports the built package; this builds it first if src/ is newer.
    globalSetup: ['test/global-setup.ts'],
  }),
);
