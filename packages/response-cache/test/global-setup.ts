import { join } from 'node:path';
import { buildIfStale } from '../../../config/build-if-stale.js';

/** The child-process fixture runs dist/: build it first if a source file is newer. */
export function setup(): void {
  buildIfStale(join(import.meta.dirname, '..'));
}
