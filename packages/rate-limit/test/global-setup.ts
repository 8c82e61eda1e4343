import { join } from 'node:path';
import { buildIfStale } from '../../../config/build-if-stale.js';

/** Child-process fixtures import dist/, so rebuild it first whenever a source file is newer. */
export function setup(): void {
  buildIfStale(join(import.meta.dirname, '..'), { probe: 'express.js' });
}
