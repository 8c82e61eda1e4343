import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { turboOutputParser } from '../lib/turbo.mjs';

// A real `turbo run build --log-order=grouped --log-prefix=task` of four packages, two of
// which fail (recorded from this repository, paths shortened to /repo).
const recorded = readFileSync(new URL('fixtures/turbo-build-grouped.txt', import.meta.url), 'utf8');

function parse(text) {
  const tasks = [];
  const parser = turboOutputParser((task) => tasks.push(task));
  for (const line of text.split('\n')) parser.line(line);
  return { tasks, failedIds: parser.finish() };
}

describe('turboOutputParser()', () => {
  it('reports each task once, in the order turbo finished them, with its cache state', () => {
    const { tasks } = parse(recorded);
    expect(tasks.map((t) => [t.id, t.cached, t.failed])).toEqual([
      ['@stores/core#build', true, false],
      ['@stores/conformance#build', false, false],
      ['@stores/memory#build', false, false],
      ['@stores/file#build', false, true],
      ['@stores/redis-common#build', false, true],
    ]);
  });

  it("keeps each task's own log, without turbo's prefix, for showing what failed", () => {
    const { tasks } = parse(recorded);
    const file = tasks.find((t) => t.pkg === '@stores/file');
    expect(file?.log).toMatch(/^cache miss, executing/);
    expect(file?.log).toMatch(/^Error: error occurred in dts build$/m);
    expect(file?.log).not.toMatch(/@stores\/file:build:/);
    expect(file?.log).not.toMatch(/@stores\/memory/);
  });

  it("reads the failed ids from turbo's closing Failed: line", () => {
    expect([...parse(recorded).failedIds]).toEqual([
      '@stores/file#build',
      '@stores/redis-common#build',
    ]);
  });

  it('tells a failure by the WARNING line alone, and a task name with a colon from its package', () => {
    const { tasks } = parse(
      [
        '@stores/core:lint:package: cache miss, executing 1',
        '@stores/core:lint:package: all good',
        '@stores/file:lint:package: cache miss, executing 2',
        '@stores/file:lint:package: Error: the package has no exports map',
        '@stores/file#lint:package:  WARNING  command finished with error, but continuing...',
      ].join('\n'),
    );
    expect(tasks.map((t) => [t.pkg, t.task, t.failed])).toEqual([
      ['@stores/core', 'lint:package', false],
      ['@stores/file', 'lint:package', true],
    ]);
  });
});
