import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the bin's code (bin/stores-conformance.js imports dist/cli.js);
  // servers/index.ts is the `./servers` subpath export.
  entry: ['src/index.ts', 'src/cli.ts', 'src/servers/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
