import { defineConfig } from 'vitest/config';
import { vitestPreset } from '../../config/vitest.js';

export default defineConfig(vitestPreset());
