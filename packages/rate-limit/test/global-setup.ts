import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');

/** Child-process fixtures import dist/, so rebuild it first whenever a source file is newer. */
export function setup(): void {
  const builtAt = mtime(join(packageDir, 'dist', 'express.js'));
  const sources = readdirSync(join(packageDir, 'src')).map((file) => join(packageDir, 'src', file));
  if (sources.some((file) => mtime(file) > builtAt)) {
    execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
