import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A vitest global setup for packages whose child-process tests import the built `dist/`: runs
 * `pnpm run build` in `packageDir` when a file of `src/` is newer than `dist/<probe>`. With
 * `snapshot`, then copies `dist/index.js` there, so that a build elsewhere (which cleans
 * `dist/`) cannot pull the module from under a running test.
 */
export function buildIfStale(
  packageDir: string,
  options: { probe?: string; snapshot?: string } = {},
): void {
  const { probe = 'index.js', snapshot } = options;
  const builtAt = mtime(join(packageDir, 'dist', probe));
  const src = join(packageDir, 'src');
  const sources = readdirSync(src, { recursive: true, encoding: 'utf8' });
  if (sources.some((file) => mtime(join(src, file)) > builtAt)) {
    execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  }
  if (snapshot === undefined) return;
  mkdirSync(dirname(snapshot), { recursive: true });
  copyFileSync(join(packageDir, 'dist', 'index.js'), snapshot);
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
