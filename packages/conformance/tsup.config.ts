import { defineConfig } from 'tsup';
import { tsupPreset } from '../../config/tsup.js';

// cli.ts is the bin's code (bin/stores-conformance.js imports dist/cli.js);
// servers/index.ts is the `./servers` subpath export; shared-worker.ts is the child process
// the `shared.*` cases spawn with plain `node` (src/processes.ts finds it beside itself).
export default defineConfig(
  tsupPreset(['src/index.ts', 'src/cli.ts', 'src/servers/index.ts', 'src/shared-worker.ts']),
);
