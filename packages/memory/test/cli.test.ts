import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const packageDir = join(import.meta.dirname, '..');
// The bin pnpm linked for the @stores/conformance dev dependency (its built dist/cli.js).
const bin = join(packageDir, 'node_modules', '.bin', 'stores-conformance');

const mtime = (file: string): number => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
};

// The fixture imports the built @stores/memory: rebuild it when src/ is newer than dist/.
beforeAll(() => {
  const builtAt = mtime(join(packageDir, 'dist', 'index.js'));
  const sources = readdirSync(join(packageDir, 'src')).map((f) => join(packageDir, 'src', f));
  if (sources.some((file) => mtime(file) > builtAt)) {
    execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
  }
}, 60_000);

describe('stores-conformance CLI with MemoryStore', { timeout: 30_000 }, () => {
  it('passes every case in every pass and exits 0', async () => {
    const run = await new Promise<{ code: number | null; stdout: string }>((done) => {
      execFile(
        bin,
        ['test/fixtures/memory-store.mjs'],
        { cwd: packageDir, timeout: 60_000 },
        (error, stdout) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          done({ code, stdout });
        },
      );
    });
    const lines = run.stdout.trimEnd().split('\n');
    const summary = lines.at(-1) ?? '';
    // Skipped: only the multi-process cases, which need capabilities.shared (false in memory).
    expect(summary).toMatch(/^\d+ passed, 0 failed, 6 skipped$/);
    const results = lines.filter((line) => /^[✓✗-] /.test(line));
    expect(Number(summary.split(' ')[0])).toBe(results.filter((l) => l.startsWith('✓ ')).length);
    const skipped = results.filter((line) => line.startsWith('- '));
    expect(skipped.every((line) => line.includes('capabilities.shared is false'))).toBe(true);
    expect(results.some((line) => line.startsWith('✗ '))).toBe(false);
    expect(lines.some((line) => line.startsWith('✓ nested namespace '))).toBe(true);
    expect(run.code).toBe(0);
  });
});
