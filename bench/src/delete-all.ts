import type { Store } from '@stores/core';
import type { Keyv } from 'keyv';
import type { Storage } from 'unstorage';
import { runInFlight, timeOnce, verify } from './harness.js';
import { lengthOf, makeValue, slug } from './kv.js';
import { PingLoop } from './ping.js';
import type { RawClient, ServerFlavour } from './redis.js';
import { failureNote, type Recorder } from './results.js';

/** One namespace of a subject: write, read, and wipe it. */
interface Scope {
  set(key: string, value: string): Promise<void>;
  get(key: string): Promise<number | null>;
  /** Our `deleteAll()`, Keyv's `clear()` with a namespace, unstorage's `clear()` with a base. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

interface Subject {
  name: string;
  ours: boolean;
  versions: Record<string, string>;
  scope(namespace: string): Scope;
}

const VALUE_BYTES = 100;

/**
 * deleteAll of a namespace holding `entries` keys on a server that holds `entries` other keys
 * too: sibling namespaces sharing the name as a prefix (`N2`, `N*`), keys the subject did not
 * write that share the prefix (`N_raw:…`) and unrelated keys. Reports the time of the call and
 * the longest PING stall seen on another connection meanwhile; then reads every key back:
 * exactly the namespace's keys must be gone.
 */
export async function runDeleteAllSuite(
  recorder: Recorder,
  f: ServerFlavour,
  entries: number,
  runId: string,
): Promise<void> {
  const subjects: Subject[] = [
    {
      name: f.store.name,
      ours: true,
      versions: f.store.versions,
      scope: (namespace) => storeScope(f.store.fromUrl(f.server.url, { namespace })),
    },
    {
      name: f.keyv.name,
      ours: false,
      versions: f.keyv.versions,
      scope: (namespace) => keyvScope(f.keyv.open(namespace)),
    },
    {
      name: f.unstorage.name,
      ours: false,
      versions: f.unstorage.versions,
      scope: (base) => unstorageScope(f.unstorage.open(base)),
    },
  ];
  const raw = f.raw.connect();
  const ping = await PingLoop.start(f.server.url);
  try {
    for (const subject of subjects) {
      const row = {
        suite: 'deleteAll',
        subject: subject.name,
        ours: subject.ours,
        versions: subject.versions,
        workload: `${f.server.kind}: deleteAll ${entries.toLocaleString('en-US')} among ${entries.toLocaleString('en-US')}`,
        valueBytes: VALUE_BYTES,
        inFlight: 1,
      };
      try {
        const metrics = await measure(
          subject,
          raw,
          ping,
          entries,
          `bench-${runId}-da-${slug(subject.name)}`,
        );
        recorder.add({ ...row, status: 'ok', metrics });
      } catch (error) {
        recorder.add({ ...row, status: 'failed', note: failureNote(error) });
      }
    }
  } finally {
    await ping.stop();
    await raw.quit();
  }
}

async function measure(
  subject: Subject,
  raw: RawClient,
  ping: PingLoop,
  entries: number,
  name: string,
): Promise<Record<string, number>> {
  const value = makeValue(VALUE_BYTES).text;
  const target = subject.scope(name);
  // The other `entries` keys: a quarter in each sibling namespace, the rest raw keys.
  const quarter = Math.floor(entries / 4);
  const rest = entries - 2 * quarter;
  const siblings = [subject.scope(`${name}2`), subject.scope(`${name}*`)];
  const rawGroups = [
    { prefix: `${name}_raw:`, count: Math.ceil(rest / 2) },
    { prefix: `unrelated-${name}:`, count: Math.floor(rest / 2) },
  ];
  try {
    await runInFlight(0, entries, 64, (i) => target.set(`k${i}`, value), undefined);
    for (const scope of siblings) {
      await runInFlight(0, quarter, 64, (i) => scope.set(`k${i}`, value), undefined);
    }
    for (const { prefix, count } of rawGroups) await msetMany(raw, prefix, count, value);
    let durationMs = Number.NaN;
    const stall = await ping.during(async () => {
      durationMs = await timeOnce(() => target.clear());
    });
    // Every key of the namespace is gone; every other key is intact.
    await runInFlight(
      0,
      entries,
      64,
      async (i) => {
        const length = await target.get(`k${i}`);
        verify(length === null, () => `k${i} of the wiped namespace still reads ${length} bytes`);
      },
      undefined,
    );
    for (const [s, scope] of siblings.entries()) {
      await runInFlight(
        0,
        quarter,
        64,
        async (i) => {
          const length = await scope.get(`k${i}`);
          verify(length === VALUE_BYTES, () => `sibling namespace ${s} lost k${i} (${length})`);
        },
        undefined,
      );
    }
    for (const { prefix, count } of rawGroups) {
      const left = await countRaw(raw, prefix, count);
      verify(
        left === count,
        () => `${count - left} of the ${count} raw keys ${prefix}* were deleted`,
      );
    }
    return { durationMs, stallMs: stall.maxMs, pingP50Ms: stall.p50Ms, pings: stall.pings };
  } finally {
    for (const scope of siblings) await scope.clear();
    for (const { prefix, count } of rawGroups) await unlinkRaw(raw, prefix, count);
    await Promise.all([target, ...siblings].map((s) => s.close()));
  }
}

/** Writes `count` raw keys `${prefix}${i}`, 1000 per MSET. */
async function msetMany(
  raw: RawClient,
  prefix: string,
  count: number,
  value: string,
): Promise<void> {
  for (const keys of rawKeyBatches(prefix, count)) {
    await raw.mset(...keys.flatMap((key) => [key, value]));
  }
}

/** How many of the raw keys `msetMany` wrote still exist. */
async function countRaw(raw: RawClient, prefix: string, count: number): Promise<number> {
  let found = 0;
  for (const keys of rawKeyBatches(prefix, count)) found += await raw.exists(...keys);
  return found;
}

/** Removes the raw keys `msetMany` wrote (their names are known: no scan needed). */
async function unlinkRaw(raw: RawClient, prefix: string, count: number): Promise<void> {
  for (const keys of rawKeyBatches(prefix, count)) await raw.unlink(...keys);
}

function* rawKeyBatches(prefix: string, count: number): Generator<string[]> {
  for (let from = 0; from < count; from += 1000) {
    const keys: string[] = [];
    for (let i = from; i < Math.min(count, from + 1000); i++) keys.push(`${prefix}${i}`);
    yield keys;
  }
}

function storeScope(store: Store): Scope {
  return {
    set: (key, value) => store.set(key, value),
    get: async (key) => lengthOf(await store.get(key)),
    clear: () => store.deleteAll(),
    close: () => store.close(),
  };
}

function keyvScope(keyv: Keyv<string>): Scope {
  return {
    set: async (key, value) => {
      await keyv.set(key, value);
    },
    get: async (key) => lengthOf(await keyv.get(key)),
    clear: () => keyv.clear(),
    close: () => keyv.disconnect(),
  };
}

function unstorageScope(storage: Storage<string>): Scope {
  return {
    set: (key, value) => storage.setItem(key, value),
    get: async (key) => lengthOf(await storage.getItem(key)),
    clear: () => storage.clear(),
    close: () => storage.dispose(),
  };
}
