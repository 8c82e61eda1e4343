import type { Options } from 'tsup';

/**
 * The build every package shares (ESM for Node 20, declarations, sourcemaps, a clean dist/);
 * a package passes only its entry points:
 * `export default defineConfig(tsupPreset(['src/index.ts', 'src/express.ts']));`
 */
export function tsupPreset(entry: string[] = ['src/index.ts']): Options {
  return { entry, format: ['esm'], dts: true, clean: true, sourcemap: true, target: 'node20' };
}
