import { defineConfig } from 'tsup';
import { tsupPreset } from '../../config/tsup.js';

export default defineConfig(tsupPreset());
