import { afterAll, type RunnerTask, type RunnerTestFile, type RunnerTestSuite } from 'vitest';
import { cases, PASSES, runStoreConformance } from '../src/index.js';
import { NoSweepStore } from './broken-stores.js';

// Registers the suite for a store without deleteExpired() (and not shared), then checks from the
// file's afterAll that vitest reported exactly those cases of each pass as skipped.
runStoreConformance('NoSweepStore', () => new NoSweepStore());

const tests = (task: RunnerTask): RunnerTask[] =>
  task.type === 'test' ? [task] : (task as RunnerTestSuite).tasks.flatMap(tests);

// biome-ignore lint/correctness/noEmptyPattern: vitest requires a pattern for hook fixtures.
afterAll(({}, file: Readonly<RunnerTestSuite | RunnerTestFile>) => {
  const all = file.tasks.flatMap(tests);
  const skipped = all.filter((t) => t.result?.state === 'skip');
  const where = skipped.map((t) => `${t.suite?.name} ${t.name.split(':')[0]}`);
  const expected = PASSES.flatMap((pass) =>
    cases.filter((c) => c.requires !== undefined).map((c) => `${pass} ${c.id}`),
  );
  if (where.join('|') !== expected.join('|')) {
    throw new Error(`expected vitest to skip [${expected}], it skipped [${where}]`);
  }
  const failed = all.filter((t) => t.result?.state === 'fail');
  if (failed.length > 0) throw new Error(`${failed.length} cases failed`);
});
