import { describe, expect, it } from 'vitest';
import { type CaseResult, cases, PASSES, runCases } from '../src/index.js';
import { brokenStores, NoSweepStore, namespaceOnlyBroken } from './broken-stores.js';
import { ReferenceStore } from './reference-store.js';

const failedIds = (results: readonly CaseResult[], pass?: string): string[] =>
  results
    .filter((r) => r.status === 'failed' && (pass === undefined || r.pass === pass))
    .map((r) => r.id);

describe('runCases() with the reference store', () => {
  it('passes every case in every pass', async () => {
    const results = await runCases(() => new ReferenceStore(), { concurrency: 8 });
    const failures = results.filter((r) => r.status !== 'passed');
    expect(failures.map((r) => `${r.pass} ${r.id}: ${String(r.error)}`)).toEqual([]);
    expect(results).toHaveLength(cases.length * PASSES.length);
    expect(results.map((r) => r.pass)).toEqual(PASSES.flatMap((pass) => cases.map(() => pass)));
  });

  it('skips the deleteExpired cases, and only those, when the capability is false', async () => {
    const results = await runCases(() => new NoSweepStore(), { concurrency: 8 });
    const skipped = results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => `${r.pass} ${r.id}`)).toEqual(
      PASSES.map((pass) => `${pass} deleteExpired.counts`),
    );
    expect(skipped[0]?.error).toBe('capabilities.deleteExpired is false');
    expect(failedIds(results)).toEqual([]);
  });
});

describe('case ids', () => {
  it('are unique and shaped like area.rule', () => {
    const ids = cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z]+\.[a-z0-9-]+$/);
  });
});

describe.concurrent('runCases() with broken stores', () => {
  for (const broken of brokenStores) {
    it(`catches: ${broken.name}`, async ({ expect }) => {
      const results = await runCases(broken.create, { concurrency: 8, passes: ['root'] });
      const failed = failedIds(results);
      for (const id of broken.caughtBy) expect(failed).toContain(id);
    });
  }

  it('re-runs the table in a namespace and a nested namespace', async ({ expect }) => {
    const only = cases.filter((c) => namespaceOnlyBroken.caughtBy.includes(c.id));
    const results = await runCases(namespaceOnlyBroken.create, { cases: only });
    expect(failedIds(results, 'root')).toEqual([]);
    expect(failedIds(results, 'namespace')).toEqual(namespaceOnlyBroken.caughtBy);
    expect(failedIds(results, 'nested namespace')).toEqual(namespaceOnlyBroken.caughtBy);
  });
});

describe('runCases() failures', () => {
  it('reports a factory that throws as failed cases, without rejecting', async () => {
    const results = await runCases(
      () => {
        throw new Error('cannot connect');
      },
      { cases: cases.slice(0, 2), passes: ['root'] },
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      [cases[0]?.id, 'failed'],
      [cases[1]?.id, 'failed'],
    ]);
    expect(String(results[0]?.error)).toContain('cannot connect');
  });

  it('fails a case that outlives timeoutMs', async () => {
    const hanging = {
      id: 'test.hangs',
      title: 'never settles',
      run: () => new Promise<void>(() => {}),
    };
    const [result] = await runCases(() => new ReferenceStore(), {
      cases: [hanging],
      passes: ['root'],
      timeoutMs: 50,
    });
    expect(result?.status).toBe('failed');
    expect(String(result?.error)).toMatch(/timed out after 50 ms/);
  });

  it('rejects invalid timing options', async () => {
    await expect(runCases(() => new ReferenceStore(), { ttlScale: 0 })).rejects.toThrow(/ttlScale/);
    await expect(runCases(() => new ReferenceStore(), { concurrency: 1.5 })).rejects.toThrow(
      /concurrency/,
    );
  });
});
