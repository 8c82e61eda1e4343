import { versions } from './env.js';
import { verify } from './harness.js';
import { makeValue } from './kv.js';
import { loadMemoryStore } from './memory.js';
import { failureNote, type Recorder } from './results.js';

/**
 * Heap bytes per entry of `entries` entries of 100 B: a `MemoryStore` against a plain `Map`
 * holding its own copy of each value. Run first, on a quiet heap, under `--expose-gc`; the
 * heap delta counts the JS heap plus array-buffer memory (100 B values live outside the heap).
 */
export async function runFootprintSuite(recorder: Recorder, entries: number): Promise<void> {
  const gc = globalThis.gc;
  if (gc === undefined) return recorder.skipSuite('footprint', 'needs node --expose-gc');
  const MemoryStore = await loadMemoryStore();
  if (typeof MemoryStore === 'string') return recorder.skipSuite('footprint', MemoryStore);
  const value = makeValue(100).bytes;
  const heap = (): number => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const row = {
    suite: 'footprint',
    valueBytes: 100,
    inFlight: 1,
    workload: `${entries.toLocaleString('en-US')} entries`,
  };

  let base = heap();
  const map = new Map<string, Uint8Array>();
  for (let i = 0; i < entries; i++) map.set(`k${i}`, new Uint8Array(value));
  const mapBytes = heap() - base;
  verify(map.size === entries, () => `Map holds ${map.size}, expected ${entries}`);
  map.clear();
  recorder.add({
    ...row,
    subject: 'Map',
    ours: false,
    versions: { node: process.version },
    status: 'ok',
    metrics: { bytesPerEntry: mapBytes / entries },
  });

  const store = new MemoryStore();
  try {
    base = heap();
    for (let i = 0; i < entries; i++) await store.set(`k${i}`, value);
    const storeBytes = heap() - base;
    const last = await store.get(`k${entries - 1}`);
    verify(last?.byteLength === 100, () => `k${entries - 1} reads ${last?.byteLength} bytes`);
    recorder.add({
      ...row,
      subject: 'MemoryStore',
      ours: true,
      versions: versions('@stores/memory', '@stores/core'),
      status: 'ok',
      metrics: { bytesPerEntry: storeBytes / entries, vsMap: storeBytes / mapBytes },
    });
  } catch (error) {
    recorder.add({
      ...row,
      subject: 'MemoryStore',
      ours: true,
      versions: versions('@stores/memory', '@stores/core'),
      status: 'failed',
      note: failureNote(error),
    });
  } finally {
    await store.close();
  }
}
