import type { Store } from '@stores/core';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { createStorage } from 'unstorage';
import memoryDriver from 'unstorage/drivers/memory';
import { importBackend, versions } from './env.js';
import {
  type KvOps,
  type KvPlan,
  type KvSubject,
  lengthOf,
  runKvSuite,
  type Stretch,
  TTL_SECONDS,
} from './kv.js';
import type { Recorder } from './results.js';

/** `new MemoryStore()`, as far as this suite needs to know it. */
export type MemoryStoreClass = new () => Store;

/** Loads `MemoryStore`, or says why it cannot be measured. */
export async function loadMemoryStore(): Promise<MemoryStoreClass | string> {
  const mod = await importBackend('@stores/memory');
  if (typeof mod === 'string') return mod;
  const { MemoryStore } = mod;
  return typeof MemoryStore === 'function'
    ? (MemoryStore as MemoryStoreClass)
    : '@stores/memory does not export MemoryStore';
}

/** Our store's operations, the same for every backend: bytes in, bytes out, `renewFor`. */
export function storeOps(store: Store, closeStore: boolean): KvOps {
  return {
    ...(closeStore ? { close: () => store.close() } : {}),
    set: (key, value) => store.set(key, value.bytes, { expiresIn: TTL_SECONDS }),
    get: async (key) => lengthOf(await store.get(key)),
    renew: async (key) => lengthOf(await store.get(key, { renewFor: TTL_SECONDS })),
    delete: async (key) => {
      await store.delete(key);
    },
    exists: (key) => store.exists(key),
  };
}

/** MemoryStore against a plain Map behind async functions, Keyv, unstorage and cache-manager. */
export async function runMemorySuite(recorder: Recorder, plan: KvPlan): Promise<void> {
  const MemoryStore = await loadMemoryStore();
  if (typeof MemoryStore === 'string') return recorder.skipSuite('memory', MemoryStore);
  const subjects: KvSubject[] = [
    {
      name: 'MemoryStore',
      ours: true,
      versions: versions('@stores/memory', '@stores/core'),
      open: async () => storeOps(new MemoryStore(), true),
    },
    {
      name: 'Map (async)',
      ours: false,
      versions: { node: process.version },
      open: async () => mapOps(new Map(), false),
    },
    {
      name: 'Map (async, copies)',
      ours: false,
      versions: { node: process.version },
      open: async () => mapOps(new Map(), true),
    },
    {
      name: 'Keyv (Map)',
      ours: false,
      versions: versions('keyv'),
      open: async () => keyvOps(new Keyv<string>({ store: new Map() })),
    },
    {
      name: 'unstorage (memory)',
      ours: false,
      versions: versions('unstorage'),
      open: async () => {
        const storage = createStorage<string>({ driver: memoryDriver() });
        return {
          // The memory driver has no TTL; unstorage passes the option through regardless.
          set: (key, value) => storage.setItem(key, value.text, { ttl: TTL_SECONDS }),
          get: async (key) => lengthOf(await storage.getItem(key)),
          renew: undefined,
          delete: (key) => storage.removeItem(key),
          exists: (key) => storage.hasItem(key),
        };
      },
    },
    {
      name: 'cache-manager (Keyv Map)',
      ours: false,
      versions: versions('cache-manager', 'keyv'),
      open: async () => cacheManagerOps(createCache({ stores: [new Keyv({ store: new Map() })] })),
    },
  ];
  for (const size of plan.sizes) {
    // At most 256 MiB of values per row: 200k entries of 10 KB (2 GB) measure the machine's
    // page faults more than the store.
    const ops = Math.min(plan.ops, Math.floor(MAX_ROW_BYTES / size));
    const warmup = Math.min(plan.warmup, Math.ceil(ops / 10));
    await runKvSuite(recorder, 'memory', subjects, {
      ...plan,
      sizes: [size],
      ops,
      warmup,
      settle: settleMemory,
    });
  }
}

const MAX_ROW_BYTES = 256 * 1024 * 1024;

/**
 * Collects garbage (`pnpm bench` runs node with --expose-gc), so whoever is timed next does not
 * pay for what the warm-up, the footprint suite or the subject before it dropped: without it
 * MemoryStore's 10 KB `set`, timed first after the warm-up, ran 15k-97k ops/s from run to run,
 * the copying Map beside it 87k-109k. Not in the server suites: there a collection before each
 * stretch slowed every subject's next stretch (RedisStore `get` x64 220k -> 123k ops/s, raw
 * ioredis 146k -> 102k), the young generation being shrunk to its minimum.
 *
 * Then faults in, and frees again, as many blocks of `size` bytes as the stretch will copy, so
 * its copies reuse pages the process already has instead of growing it: on this machine a
 * fresh page costs more the larger the process (system time per 266 MB of fresh 10 KB copies:
 * 0.15 s at 0.3 GB resident, 0.8 s at 1.5 GB), and a subject timed after the others' entries
 * paid up to 4x for the same copies. With the blocks, a stretch of 13k 10 KB copies faults in
 * 1-6k pages instead of 34k, whoever goes first.
 */
async function settleMemory({ ops, size }: Stretch): Promise<void> {
  globalThis.gc?.();
  // Dropped as soon as made: what counts is that the allocator has handed them out once.
  Array.from({ length: ops }, () => new Uint8Array(size).fill(1));
  globalThis.gc?.();
}

/**
 * The baselines: a `Map` of byte arrays behind async functions, no expiry. Without `copies`,
 * reads return the stored array itself: less work than any store that keeps the contract.
 * With `copies`, values are copied in and out as the contract requires of every store.
 */
function mapOps(map: Map<string, Uint8Array>, copies: boolean): KvOps {
  return {
    set: async (key, value) => {
      map.set(key, copies ? new Uint8Array(value.bytes) : value.bytes);
    },
    get: async (key) => {
      const value = map.get(key);
      return lengthOf(copies && value !== undefined ? new Uint8Array(value) : value);
    },
    renew: undefined,
    delete: async (key) => {
      map.delete(key);
    },
    exists: async (key) => map.has(key),
  };
}

/** A Keyv instance as a benchmark subject (any store adapter). */
export function keyvOps(keyv: Keyv<string>): KvOps {
  return {
    set: async (key, value) => {
      await keyv.set(key, value.text, TTL_SECONDS * 1000);
    },
    get: async (key) => lengthOf(await keyv.get(key)),
    renew: undefined,
    delete: async (key) => {
      await keyv.delete(key);
    },
    exists: (key) => keyv.has(key),
    close: () => keyv.disconnect(),
  };
}

/** A cache-manager cache as a benchmark subject (any Keyv store behind it). */
export function cacheManagerOps(cache: Cache): KvOps {
  return {
    set: async (key, value) => {
      await cache.set(key, value.text, TTL_SECONDS * 1000);
    },
    get: async (key) => lengthOf(await cache.get<string>(key)),
    renew: undefined,
    delete: async (key) => {
      await cache.del(key);
    },
    // cache-manager has no `has`; a read is its way to ask.
    exists: async (key) => (await cache.get<string>(key)) !== undefined,
    close: async () => {
      await cache.disconnect();
    },
  };
}
