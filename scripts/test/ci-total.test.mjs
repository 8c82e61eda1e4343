import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../lib/run.mjs';

let dir;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the steps as .ci/run leaves them, then runs scripts/ci-total.mjs over them. */
function total(steps) {
  dir = mkdtempSync(join(tmpdir(), 'stores-ci-total-'));
  steps.forEach(({ name, code, log }, i) => {
    writeFileSync(join(dir, `${i + 1}.status`), `${code} ${name}\n`);
    writeFileSync(join(dir, `${i + 1}.log`), log);
  });
  return new Promise((done) => {
    execFile(process.execPath, ['scripts/ci-total.mjs', dir], { cwd: ROOT }, (error, stdout) =>
      done({ code: error === null ? 0 : error.code, lines: stdout.trimEnd().split('\n') }),
    );
  });
}

describe('scripts/ci-total.mjs', () => {
  it('sums the closing lines of the steps and ends with the total', async () => {
    const run = await total([
      { name: 'pnpm', code: 0, log: 'Done in 2s\n' },
      { name: 'check', code: 0, log: 'check passed\n1695 passed, 0 failed, 15 skipped\n' },
      { name: 'conformance', code: 0, log: '1260 passed, 0 failed, 12 skipped\n' },
    ]);
    expect(run.lines.slice(-2)).toEqual([
      'ci: all 3 steps passed',
      '2955 passed, 0 failed, 27 skipped',
    ]);
    expect(run.code).toBe(0);
  });

  it('counts a failed step without failures of its own as one, and exits 1', async () => {
    const run = await total([
      { name: 'check', code: 1, log: '10 passed, 2 failed, 0 skipped\n' },
      { name: 'benchmark', code: 1, log: 'TypeError: boom\n' },
      { name: 'conformance', code: 0, log: '5 passed, 0 failed, 1 skipped, 2 backends not run\n' },
    ]);
    expect(run.lines.slice(-2)).toEqual([
      'ci: 2 of 3 steps failed: check; benchmark',
      '15 passed, 3 failed, 1 skipped',
    ]);
    expect(run.code).toBe(1);
  });
});
