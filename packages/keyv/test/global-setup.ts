import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');

/**
 * Where child-process tests load the package from: a snapshot of dist/index.js, so a `pnpm build`
 * elsewhere (which cleans dist/) cannot pull the module from under a running test.
 */
export const BUILD_SNAPSHOT: string = join(
  packageDir,
  'node_modules',
  '.cache',
  'keyv-test',
  'index.js',
);

/** Builds dist/ when any source file is newer, then snapshots it for the child processes. */
export function setup(): void {
  const built = join(packageDir, 'dist', 'index.js');
  const builtAt = mtime(built);
  const sources = readdirSync(join(packageDir, 'src')).map((f) => join(packageDir, 'src', f));
  if (sources.some((file) => mtime(file) > builtAt)) {
    execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  }
  mkdirSync(join(BUILD_SNAPSHOT, '..'), { recursive: true });
  copyFileSync(built, BUILD_SNAPSHOT);
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
