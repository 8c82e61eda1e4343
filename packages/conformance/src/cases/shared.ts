import type { Store } from '@stores/core';
import { ConformanceError, check, checkBytes, show } from '../assertions.js';
import { moduleUrl, runWorkers, type WorkerJob } from '../processes.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { checkOneToN, nested } from './helpers.js';

// Modest counts keep the suite fast; every call of every process is in flight at once.
const PROCESSES = 4;
const INCREMENTS = 50;
const SET_IF_ABSENT_CALLS = 10;

interface SharedStore {
  /** The pass's store inside the store the handle names, opened in this process. */
  readonly store: Store;
  /** Runs `op` `count` times at once in each of `PROCESSES` child processes. */
  inProcesses(op: WorkerJob['op'], key: string, count: number): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Opens a new isolated store through the `shared` option, here and in child processes. */
async function openShared(ctx: CaseContext): Promise<SharedStore> {
  if (ctx.shared === undefined) {
    throw new ConformanceError(
      'the store declares capabilities.shared, so it must prove its atomicity across processes: ' +
        'pass the shared option, runStoreConformance(name, factory, { shared: { module, ' +
        'exportName, newHandle } }), naming a module that opens the store from a handle ' +
        '(see "Shared stores" in the README of @stores/conformance)',
    );
  }
  const { module, exportName = 'openStore' } = ctx.shared;
  const handle: unknown = ctx.shared.newHandle();
  let json: string | undefined;
  try {
    json = JSON.stringify(handle);
  } catch {
    // Reported just below.
  }
  check(json !== undefined, `shared.newHandle() returned ${show(handle)}, not JSON-serialisable`);
  const url = moduleUrl(module);
  const loaded = (await import(url)) as Record<string, unknown>;
  const open = loaded[exportName];
  check(typeof open === 'function', `${module} has no function export "${exportName}"`);
  const root = await (open as (handle: unknown) => Store | Promise<Store>)(handle);
  const store = nested(root, ...ctx.namespacePath);
  const base = { module: url, exportName, handle, namespacePath: ctx.namespacePath };
  return {
    store,
    inProcesses: (op, key, count) =>
      runWorkers(
        Array.from({ length: PROCESSES }, (_, worker) => ({ ...base, op, key, count, worker })),
        ctx.signal,
      ),
    close: () => root.close(),
  };
}

async function sharedIncrement(ctx: CaseContext): Promise<void> {
  const shared = await openShared(ctx);
  try {
    const results = (await shared.inProcesses('increment', 'counter', INCREMENTS)).flat();
    const total = PROCESSES * INCREMENTS;
    checkOneToN(results, total, `${PROCESSES} processes × ${INCREMENTS} concurrent increments`);
    checkBytes(
      await shared.store.get('counter'),
      String(total),
      `the counter after ${total} increments`,
    );
    await shared.store.delete('counter');
  } finally {
    await shared.close();
  }
}

async function sharedSetIfAbsent(ctx: CaseContext): Promise<void> {
  const shared = await openShared(ctx);
  try {
    const results = await shared.inProcesses('setIfAbsent', 'lock', SET_IF_ABSENT_CALLS);
    const winners = results.flatMap((calls, worker) =>
      calls.flatMap((won, call) => (won === true ? [`process ${worker} call ${call}`] : [])),
    );
    check(
      winners.length === 1,
      `${PROCESSES} processes × ${SET_IF_ABSENT_CALLS} concurrent setIfAbsent of one key: ` +
        `${winners.length} resolved true in total, expected exactly 1`,
    );
    checkBytes(await shared.store.get('lock'), winners[0] ?? '', "the winner's value");
    await shared.store.delete('lock');
  } finally {
    await shared.close();
  }
}

/** Atomicity across processes, for stores with `capabilities.shared` (contract §8). */
export const sharedCases: readonly ConformanceCase[] = [
  {
    id: 'shared.increment-exact',
    title: `${PROCESSES} processes × ${INCREMENTS} concurrent increments of one key leave exactly ${PROCESSES * INCREMENTS}`,
    requires: 'shared',
    run: sharedIncrement,
  },
  {
    id: 'shared.set-if-absent-one-winner',
    title: `of ${PROCESSES} processes racing setIfAbsent on one key, exactly one call wins`,
    requires: 'shared',
    run: sharedSetIfAbsent,
  },
];
