import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { cases, PASSES } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const total = cases.length * PASSES.length;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI's source as a real child process; tsx loads it and the .ts fixtures. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: packageDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

// Each run spawns Node with a TypeScript loader and runs the whole table: seconds, not ms.
describe.concurrent('stores-conformance CLI', { timeout: 30_000 }, () => {
  it('passes the reference store with exit 0 and one line per case', async ({ expect }) => {
    const run = await cli('test/reference-store.ts');
    expect(run.stderr).toBe('');
    expect(lastLine(run.stdout)).toBe(`${total} passed, 0 failed`);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(total + 1);
    expect(lines[0]).toMatch(/^✓ root +key\.adversarial-distinct$/);
    expect(lines).toContain(`✓ nested namespace ${cases.at(-1)?.id}`);
  });

  it('fails a broken store from --export with exit 1, naming the case and the error', async ({
    expect,
  }) => {
    const run = await cli('test/fixtures/broken.ts', '--export', 'makeBrokenStore');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^✗ root +expiry\.uniform: exists of an expired key should be false$/m,
    );
    expect(lastLine(run.stdout)).toMatch(/^\d+ passed, [1-9]\d* failed$/);
  });

  it('shows capability skips and counts them in the summary', async ({ expect }) => {
    const run = await cli('test/fixtures/no-sweep.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^- namespace +deleteExpired\.counts \(skipped: capabilities\.deleteExpired is false\)$/m,
    );
    expect(lastLine(run.stdout)).toBe(`${total - 3} passed, 0 failed, 3 skipped`);
  });

  it('exits 2 when the module has no createStore export', async ({ expect }) => {
    const run = await cli('test/fixtures/no-factory.mjs');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has no function export "createStore" \(exports: somethingElse\)/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the module does not exist', async ({ expect }) => {
    const run = await cli('test/fixtures/nowhere.mjs');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot find module .*nowhere\.mjs/);
  });

  it('exits 2 for bad usage and 0 for --help', async ({ expect }) => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expected exactly one module path/);
    const badNumber = await cli('test/reference-store.ts', '--ttl-scale', 'fast');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--ttl-scale must be a number/);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stores-conformance <module>/);
  });
});
