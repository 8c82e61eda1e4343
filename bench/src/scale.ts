import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExpirySweepingStore, Store } from '@stores/core';
import { versions } from './env.js';
import {
  type FileStoreClass,
  loadFileStore,
  sweepExpiresIn,
  timeSweep,
  writeSweepEntries,
} from './file.js';
import { seededIndices, type Timing, timeLoop, timeOnce, verify } from './harness.js';
import { makeValue, TTL_SECONDS } from './kv.js';
import { loadMemoryStore, type MemoryStoreClass } from './memory.js';
import { failureNote, formatNumber, type Recorder, type Row } from './results.js';

/** One backend's scale curve: the store sizes it is measured at, and the ops per timed row. */
export interface ScaleCurve {
  /** Entries already in the store (one namespace) at each point of the curve, ascending. */
  entries: readonly number[];
  /** Timed operations per get / set row. */
  ops: number;
  /** Untimed operations before each get / set row. */
  warmup: number;
}

/** Sizes of the scale suite, per backend. */
export interface ScalePlan {
  memory: ScaleCurve;
  file: ScaleCurve;
}

const VALUE_BYTES = 100;
// Fixed seeds: every run reads and overwrites the same keys in the same order.
const GET_SEED = 0x5ca1e;
const SET_SEED = 0x5e7;

/** The part of a row every point of one backend's curves shares. */
type RowHead = Pick<Row, 'suite' | 'subject' | 'ours' | 'versions' | 'valueBytes'>;

/** What one measure of a point resolves to. */
interface Measured {
  timing?: Timing;
  metrics: Record<string, number>;
}

/**
 * How cost grows with size: MemoryStore and FileStore get / set (overwrite) ops/s and `keys()`
 * keys/s with N entries already in the store, and FileStore's `deleteExpired()` over N entries
 * of which half have expired. Each size gets a fresh store, released before the next one.
 */
export async function runScaleSuite(recorder: Recorder, plan: ScalePlan): Promise<void> {
  const MemoryStore = await loadMemoryStore();
  if (typeof MemoryStore === 'string') recorder.skipSuite('scale: MemoryStore', MemoryStore);
  else await memoryCurves(recorder, MemoryStore, plan.memory);
  const FileStore = await loadFileStore();
  if (typeof FileStore === 'string') recorder.skipSuite('scale: FileStore', FileStore);
  else await fileCurves(recorder, FileStore, plan.file);
}

/** `get at 100,000 entries`: what the chart reads back as the measure and the size. */
export function scaleWorkload(measure: string, entries: number): string {
  return `${measure} at ${entries.toLocaleString('en-US')} entries`;
}

async function memoryCurves(
  recorder: Recorder,
  MemoryStore: MemoryStoreClass,
  curve: ScaleCurve,
): Promise<void> {
  const head: RowHead = {
    suite: 'scale',
    subject: 'MemoryStore',
    ours: true,
    versions: versions('@stores/memory', '@stores/core'),
    valueBytes: VALUE_BYTES,
  };
  for (const entries of curve.entries) {
    await memoryPoint(recorder, head, new MemoryStore(), entries, curve);
    // 1M entries are some 400 MB: unreachable once the point returns, collected before the next.
    globalThis.gc?.();
  }
}

async function memoryPoint(
  recorder: Recorder,
  head: RowHead,
  store: Store,
  entries: number,
  curve: ScaleCurve,
): Promise<void> {
  const value = makeValue(VALUE_BYTES).bytes;
  try {
    // The key strings are made once and shared by the loops, as the memory suite does.
    const names = Array.from({ length: entries }, (_, i) => `k${i}`);
    progress(`MemoryStore: writing ${formatNumber(entries)} entries`);
    const populated = await measure(
      recorder,
      head,
      scaleWorkload('populate', entries),
      1,
      async () => {
        for (const name of names) await store.set(name, value, { expiresIn: TTL_SECONDS });
        return undefined;
      },
    );
    if (!populated) return;
    await pointOps(recorder, head, store, names, curve, 1, () => ({ expiresIn: TTL_SECONDS }));
    await pointKeys(recorder, head, store, entries);
  } finally {
    await store.close();
  }
}

async function fileCurves(
  recorder: Recorder,
  FileStore: FileStoreClass,
  curve: ScaleCurve,
): Promise<void> {
  const head: RowHead = {
    suite: 'scale',
    subject: 'FileStore',
    ours: true,
    versions: versions('@stores/file', '@stores/core'),
    valueBytes: VALUE_BYTES,
  };
  const root = await mkdtemp(join(tmpdir(), 'stores-bench-scale-'));
  try {
    for (const entries of curve.entries) {
      const path = join(root, `n${entries}`);
      // Fixed until the sweep moves it on: half the entries expire then, none before.
      let clock = Date.now();
      const store = new FileStore({ path, now: () => clock });
      try {
        const ns = store.withNamespace('scale') as ExpirySweepingStore;
        const names = Array.from({ length: entries }, (_, i) => `k${i}`);
        const started = performance.now();
        progress(`FileStore: writing ${formatNumber(entries)} entries, 64 in flight`);
        const populated = await measure(
          recorder,
          head,
          scaleWorkload('populate', entries),
          64,
          async () => {
            await writeSweepEntries(ns, entries, (written) => {
              if (entries < 20_000) return;
              const s = ((performance.now() - started) / 1000).toFixed(1);
              progress(
                `FileStore: ${formatNumber(written)} of ${formatNumber(entries)} written (${s} s)`,
              );
            });
            return undefined;
          },
        );
        if (!populated) continue;
        // An overwrite keeps each key's lifetime, so the sweep still finds exactly half expired.
        await pointOps(recorder, head, ns, names, curve, 64, (i) => ({
          expiresIn: sweepExpiresIn(i),
        }));
        await pointKeys(recorder, head, ns, entries);
        await measure(
          recorder,
          head,
          scaleWorkload('deleteExpired (half expired)', entries),
          1,
          async () => ({
            metrics: {
              entries,
              ...(await timeSweep(ns, entries, () => {
                clock += 2000;
              })),
            },
          }),
        );
      } finally {
        await store.close();
        // 100k files: removed before the next size so the directory cache starts alike.
        await rm(path, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The get and set rows of one point: reads of random existing keys (each value's length
 * checked), then overwrites of random existing keys, both spread over the whole key space by
 * a fixed-seed PRNG so that a big key space costs what it costs.
 */
async function pointOps(
  recorder: Recorder,
  head: RowHead,
  store: Store,
  names: readonly string[],
  curve: ScaleCurve,
  inFlight: number,
  options: (keyIndex: number) => { expiresIn: number },
): Promise<void> {
  const entries = names.length;
  const loop = { ops: curve.ops, warmup: curve.warmup, inFlight };
  const value = makeValue(VALUE_BYTES).bytes;
  const picks = (seed: number): { keys: string[]; indices: Uint32Array } => {
    const indices = seededIndices(curve.ops + curve.warmup, entries, seed);
    return { keys: Array.from(indices, (j) => names[j] ?? ''), indices };
  };
  const reads = picks(GET_SEED);
  // Each loop pays for its own garbage, not for what populating the store left behind.
  globalThis.gc?.();
  await measure(recorder, head, scaleWorkload('get', entries), inFlight, async () => ({
    timing: await timeLoop(loop, async (i) => {
      const key = reads.keys[i] ?? '';
      const got = await store.get(key);
      verify(
        got?.byteLength === VALUE_BYTES,
        () => `get ${key}: expected ${VALUE_BYTES} bytes, got ${got?.byteLength ?? null}`,
      );
    }),
    metrics: { entries },
  }));
  const writes = picks(SET_SEED);
  globalThis.gc?.();
  await measure(recorder, head, scaleWorkload('set (overwrite)', entries), inFlight, async () => ({
    timing: await timeLoop(loop, (i) =>
      store.set(writes.keys[i] ?? '', value, options(writes.indices[i] ?? 0)),
    ),
    metrics: { entries },
  }));
}

/** The keys row of one point: one full `keys()` iteration, which must see every entry once. */
async function pointKeys(
  recorder: Recorder,
  head: RowHead,
  store: Store,
  entries: number,
): Promise<void> {
  globalThis.gc?.();
  await measure(recorder, head, scaleWorkload('keys', entries), 1, async () => {
    let seen = 0;
    const durationMs = await timeOnce(async () => {
      for await (const _ of store.keys()) seen++;
    });
    verify(seen === entries, () => `keys() yielded ${seen}, expected ${entries}`);
    return { metrics: { entries, durationMs, keysPerSec: (seen / durationMs) * 1000 } };
  });
}

/**
 * Runs one measure and records its row; `undefined` from `run` (populating) records nothing
 * unless it fails. A failed check or backend error is a failed row. Resolves whether it passed.
 */
async function measure(
  recorder: Recorder,
  head: RowHead,
  workload: string,
  inFlight: number,
  run: () => Promise<Measured | undefined>,
): Promise<boolean> {
  try {
    const measured = await run();
    if (measured !== undefined)
      recorder.add({ ...head, workload, inFlight, status: 'ok', ...measured });
    return true;
  } catch (error) {
    recorder.add({ ...head, workload, inFlight, status: 'failed', note: failureNote(error) });
    return false;
  }
}

function progress(line: string): void {
  process.stderr.write(`[scale] ${line}\n`);
}
