import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the bin's code (bin/stores-conformance.js imports dist/cli.js);
  // servers/index.ts is the `./servers` subpath export; shared-worker.ts is the child process
  // the `shared.*` cases spawn with plain `node` (src/processes.ts finds it beside itself).
  entry: ['src/index.ts', 'src/cli.ts', 'src/servers/index.ts', 'src/shared-worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
