import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');

function modified(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** The child-process fixture runs dist/: build it first if a source file is newer. */
export function setup(): void {
  const built = modified(join(packageDir, 'dist', 'index.js'));
  const sources = readdirSync(join(packageDir, 'src')).map((name) => join(packageDir, 'src', name));
  if (sources.some((source) => modified(source) > built)) {
    execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  }
}
