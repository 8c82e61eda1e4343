import { join } from 'node:path';
import { buildIfStale } from '../../../config/build-if-stale.js';

const packageDir = join(import.meta.dirname, '..');

/** Where child-process tests load the package from: a snapshot of dist/index.js. */
export const BUILD_SNAPSHOT: string = join(
  packageDir,
  'node_modules',
  '.cache',
  'file-store-test',
  'index.js',
);

/** Builds dist/ when a source file is newer, then snapshots it for the child processes. */
export function setup(): void {
  buildIfStale(packageDir, { snapshot: BUILD_SNAPSHOT });
}
