import { describe, expect, it } from 'vitest';
import { closingLine, parseClosingLine, run, stripAnsi } from '../lib/run.mjs';

describe('closingLine()', () => {
  it('is the plain `N passed, M failed, K skipped` line, with extra clauses after it', () => {
    expect(closingLine({ passed: 636, failed: 0, skipped: 4 })).toBe(
      '636 passed, 0 failed, 4 skipped',
    );
    expect(closingLine({ passed: 1, failed: 2, skipped: 0 }, '2 backends not run')).toBe(
      '1 passed, 2 failed, 0 skipped, 2 backends not run',
    );
  });
});

describe('parseClosingLine()', () => {
  it('reads the counts back, with or without the skipped clause', () => {
    expect(parseClosingLine('636 passed, 0 failed, 4 skipped, 2 backends not run')).toEqual({
      passed: 636,
      failed: 0,
      skipped: 4,
    });
    expect(parseClosingLine('159 passed, 1 failed')).toEqual({
      passed: 159,
      failed: 1,
      skipped: 0,
    });
  });

  it('is undefined for any other line', () => {
    expect(parseClosingLine('all backends conform')).toBeUndefined();
    expect(parseClosingLine('conformance: 3 passed, 0 failed')).toBeUndefined();
  });
});

describe('stripAnsi()', () => {
  it('removes colour codes and hyperlinks and keeps the text', () => {
    const coloured =
      '\u001b[31m✗\u001b[39m \u001b]8;;https://x\u0007link\u001b]8;;\u0007 \u001b[1;2mbold\u001b[0m';
    expect(stripAnsi(coloured)).toBe('✗ link bold');
  });
});

describe('run()', () => {
  it('merges stdout and stderr in the order they were written, line by line', async () => {
    const seen = [];
    const script = 'echo one; echo two >&2; echo three';
    const result = await run('sh', ['-c', script], { onLine: (line) => seen.push(line) });
    expect(result.code).toBe(0);
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(result.output).toBe('one\ntwo\nthree\n');
  });

  it('kills the whole process group after timeoutMs and says so', async () => {
    const result = await run('sh', ['-c', 'sleep 30 & sleep 30; echo never'], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.code).not.toBe(0);
    expect(result.output).not.toMatch(/never/);
  });

  it('resolves exit code 127 for a missing command instead of rejecting', async () => {
    const result = await run('no-such-command-for-stores', []);
    expect(result.code).toBe(127);
  });
});
