import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseResult, cases, PASSES, runCases } from '../src/index.js';
import { brokenStores, NoSweepStore, namespaceOnlyBroken } from './broken-stores.js';
import { ReferenceStore } from './reference-store.js';
import { openStore, type RemoteHandle, serveReferenceStore } from './remote-store.js';

const sharedIds = cases.filter((c) => c.requires === 'shared').map((c) => c.id);

const failedIds = (results: readonly CaseResult[], pass?: string): string[] =>
  results
    .filter((r) => r.status === 'failed' && (pass === undefined || r.pass === pass))
    .map((r) => r.id);

describe('runCases() with the reference store', () => {
  it('passes every case in every pass but the shared ones, which it skips', async () => {
    const results = await runCases(() => new ReferenceStore(), { concurrency: 8 });
    const failures = results.filter((r) => r.status === 'failed');
    expect(failures.map((r) => `${r.pass} ${r.id}: ${String(r.error)}`)).toEqual([]);
    const skipped = results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => `${r.pass} ${r.id}`)).toEqual(
      PASSES.flatMap((pass) => sharedIds.map((id) => `${pass} ${id}`)),
    );
    expect(skipped[0]?.error).toBe('capabilities.shared is false');
    expect(results).toHaveLength(cases.length * PASSES.length);
    expect(results.map((r) => r.pass)).toEqual(PASSES.flatMap((pass) => cases.map(() => pass)));
  });

  it('also skips the deleteExpired case when that capability is false', async () => {
    const results = await runCases(() => new NoSweepStore(), { concurrency: 8 });
    const skipped = results.filter((r) => r.status === 'skipped').map((r) => `${r.pass} ${r.id}`);
    expect(skipped).toEqual(
      PASSES.flatMap((pass) =>
        cases
          .filter((c) => c.id === 'deleteExpired.counts' || sharedIds.includes(c.id))
          .map((c) => `${pass} ${c.id}`),
      ),
    );
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

// Child processes load TypeScript through tsx: each run takes seconds.
describe('runCases() with a store shared by processes', { timeout: 60_000 }, () => {
  let server: Awaited<ReturnType<typeof serveReferenceStore>>;
  let spaces = 0;
  beforeAll(async () => {
    server = await serveReferenceStore();
  });
  afterAll(() => server.close());
  const newHandle = (): RemoteHandle => ({ url: server.url, space: `space-${spaces++}` });
  const module = fileURLToPath(new URL('./remote-store.ts', import.meta.url));
  const only = cases.filter((c) => c.requires === 'shared');

  it('passes the shared cases in every pass, child processes included', async () => {
    const results = await runCases(() => openStore(newHandle()), {
      cases: only,
      shared: { module, newHandle },
    });
    expect(results.map((r) => `${r.pass} ${r.id} ${r.status} ${String(r.error ?? '')}`)).toEqual(
      PASSES.flatMap((pass) => sharedIds.map((id) => `${pass} ${id} passed `)),
    );
  });

  it('fails them with a message naming the shared option when it is missing', async () => {
    const results = await runCases(() => openStore(newHandle()), { cases: only, passes: ['root'] });
    expect(results.map((r) => r.status)).toEqual(sharedIds.map(() => 'failed'));
    for (const result of results) {
      expect(String(result.error)).toMatch(/pass the shared option, runStoreConformance/);
    }
  });

  it('catches: increment and setIfAbsent atomic within one process only', async () => {
    const results = await runCases(() => openStore(newHandle()), {
      cases: only,
      passes: ['root'],
      shared: {
        module: pathToFileURL(module).href,
        exportName: 'openPerProcessAtomicStore',
        newHandle,
      },
    });
    expect(failedIds(results)).toEqual(sharedIds);
    expect(String(results[0]?.error)).toMatch(/should resolve 1\.\.200 once each/);
    expect(String(results[1]?.error)).toMatch(/resolved true in total, expected exactly 1/);
  });

  it('fails a case whose child process cannot open the store, with its error', async () => {
    const [result] = await runCases(() => openStore(newHandle()), {
      cases: only.slice(0, 1),
      passes: ['root'],
      shared: { module, exportName: 'noSuchExport', newHandle },
    });
    expect(result?.status).toBe('failed');
    expect(String(result?.error)).toMatch(/has no function export "noSuchExport"/);
  });

  it('kills its child processes when a case times out', async () => {
    // Each child's command line holds its handle, so /proc shows whether any is still alive.
    const space = `stalled-${randomUUID()}`;
    const alive = (): number =>
      readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(space);
          } catch {
            return false; // exited while we looked
          }
        }).length;
    const started = runCases(() => openStore(newHandle()), {
      cases: only.slice(0, 1),
      passes: ['root'],
      timeoutMs: 5000,
      shared: {
        module,
        exportName: 'openStalledStore',
        newHandle: () => ({ url: server.url, space }),
      },
    });
    while (alive() < 4) await new Promise((done) => setTimeout(done, 50));
    const [result] = await started;
    expect(String(result?.error)).toMatch(/timed out after 5000 ms/);
    while (alive() > 0) await new Promise((done) => setTimeout(done, 50));
  });

  it('rejects a relative module path', async () => {
    await expect(
      runCases(() => openStore(newHandle()), { shared: { module: './x.js', newHandle } }),
    ).rejects.toThrow(/shared.module must be an absolute path or a file: URL/);
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
