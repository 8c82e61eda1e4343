import KeyvRedis from '@keyv/redis';
import KeyvValkey from '@keyv/valkey';
import type { Store } from '@stores/core';
import { createCache } from 'cache-manager';
import { Redis, Cluster as RedisCluster } from 'ioredis';
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { Keyv } from 'keyv';
import { createStorage, type Storage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import { importBackend, versions } from './env.js';
import {
  type KvOps,
  type KvPlan,
  type KvSubject,
  lengthOf,
  runKvSuite,
  TTL_SECONDS,
} from './kv.js';
import { cacheManagerOps, keyvOps, storeOps } from './memory.js';
import type { Recorder } from './results.js';
import { type BenchCluster, type BenchServer, startCluster } from './servers.js';

/** The commands the bench sends through a raw client; ioredis and iovalkey both have them. */
export interface RawClient {
  set(key: string, value: Buffer, px: 'PX', ms: number): Promise<unknown>;
  getBuffer(key: string): Promise<Buffer | null>;
  getexBuffer(key: string, px: 'PX', ms: number): Promise<Buffer | null>;
  del(...keys: string[]): Promise<number>;
  exists(...keys: string[]): Promise<number>;
  unlink(...keys: string[]): Promise<number>;
  mset(...pairs: string[]): Promise<unknown>;
  ping(): Promise<string>;
  quit(): Promise<unknown>;
}

/** `RedisStore` / `ValkeyStore`, as far as the bench needs them. */
interface ServerStoreClass {
  fromUrl(url: string, options: { namespace: string }): Store;
}

/** A cluster's startup nodes. */
export type ClusterNodes = readonly { host: string; port: number }[];

/** Everything that differs between the Redis and the Valkey runs: which packages. */
export interface ServerFlavour {
  server: BenchServer;
  /** `RedisStore` or `ValkeyStore`, with the versions to record. */
  store: {
    name: string;
    versions: Record<string, string>;
    fromUrl: ServerStoreClass['fromUrl'];
    /** The store owning a cluster client of `nodes` (`new XStore({ cluster: { nodes } })`). */
    onCluster(nodes: ClusterNodes, options: { namespace: string }): Store;
  };
  /** `ioredis` or `iovalkey`. */
  raw: {
    name: string;
    versions: Record<string, string>;
    connect(): RawClient;
    /** A cluster client of `nodes`. */
    connectCluster(nodes: ClusterNodes): RawClient;
  };
  /** Keyv with `@keyv/redis` or `@keyv/valkey`, in a namespace. */
  keyv: { name: string; versions: Record<string, string>; open(namespace: string): Keyv<string> };
  /** unstorage's redis driver (on ioredis) with a base. */
  unstorage: {
    name: string;
    versions: Record<string, string>;
    open(base: string): Storage<string>;
  };
}

/** Loads our store for `server` and describes its peers, or says why it cannot run. */
export async function flavour(server: BenchServer): Promise<ServerFlavour | string> {
  const [pkg, className] =
    server.kind === 'redis' ? ['@stores/redis', 'RedisStore'] : ['@stores/valkey', 'ValkeyStore'];
  const mod = await importBackend(pkg);
  if (typeof mod === 'string') return mod;
  const cls = mod[className] as Partial<ServerStoreClass> | undefined;
  if (typeof cls?.fromUrl !== 'function') return `${pkg} does not export ${className}.fromUrl`;
  const fromUrl = cls.fromUrl.bind(cls);
  const StoreClass = cls as unknown as new (options: {
    cluster: { nodes: { host: string; port: number }[] };
    namespace: string;
  }) => Store;
  const onCluster = (nodes: ClusterNodes, { namespace }: { namespace: string }): Store =>
    new StoreClass({ cluster: { nodes: [...nodes] }, namespace });
  const at = {
    [`${server.kind}-server`]: `${server.version.replace(/^\w+ /, '')} (${server.via})`,
  };
  const { url } = server;
  const unstorage = {
    name: 'unstorage (redis driver)',
    versions: { ...versions('unstorage', 'ioredis'), ...at },
    open: (base: string) => createStorage<string>({ driver: redisDriver({ url, base }) }),
  };
  if (server.kind === 'redis') {
    return {
      server,
      store: {
        name: className,
        versions: { ...versions(pkg, '@stores/core', 'ioredis'), ...at },
        fromUrl,
        onCluster,
      },
      raw: {
        name: 'ioredis (raw)',
        versions: { ...versions('ioredis'), ...at },
        connect: () => new Redis(url),
        connectCluster: (nodes) => new RedisCluster([...nodes]),
      },
      keyv: {
        name: 'Keyv (@keyv/redis)',
        versions: { ...versions('keyv', '@keyv/redis'), ...at },
        open: (namespace) =>
          new Keyv<string>({
            store: new KeyvRedis(url, { namespace }),
            namespace,
            useKeyPrefix: false,
          }),
      },
      unstorage,
    };
  }
  return {
    server,
    store: {
      name: className,
      versions: { ...versions(pkg, '@stores/core', 'iovalkey'), ...at },
      fromUrl,
      onCluster,
    },
    raw: {
      name: 'iovalkey (raw)',
      versions: { ...versions('iovalkey'), ...at },
      connect: () => new Valkey(url),
      connectCluster: (nodes) => new ValkeyCluster([...nodes]),
    },
    keyv: {
      name: 'Keyv (@keyv/valkey)',
      versions: { ...versions('keyv', '@keyv/valkey'), ...at },
      open: (namespace) => new Keyv<string>({ store: new KeyvValkey(url), namespace }),
    },
    unstorage,
  };
}

/**
 * Our store against the raw client, Keyv, unstorage and cache-manager on one server. Each
 * (subject, size, concurrency) group gets its own namespace of a run-unique prefix and
 * removes its keys as its last workload (`delete`), so the server is left as found.
 */
export async function runServerSuite(
  recorder: Recorder,
  f: ServerFlavour,
  plan: KvPlan,
  runId: string,
): Promise<void> {
  const ns = (scope: string): string => `bench-${runId}-${scope}`;
  const raw = f.raw.connect();
  const subjects: KvSubject[] = [
    {
      name: f.store.name,
      ours: true,
      versions: f.store.versions,
      open: async (scope) =>
        storeOps(f.store.fromUrl(f.server.url, { namespace: ns(scope) }), true),
    },
    {
      name: f.raw.name,
      ours: false,
      versions: f.raw.versions,
      open: async (scope) => rawOps(raw, `${ns(scope)}:`),
    },
    {
      // Each reply copied into memory of its own, as the contract has every store hand it out
      // (the raw client hands out a view of its socket buffer): the floor for our `get`.
      name: rawVariant(f.raw.name, 'copies'),
      ours: false,
      versions: f.raw.versions,
      open: async (scope) => rawOps(raw, `${ns(scope)}:`, true),
    },
    {
      name: f.keyv.name,
      ours: false,
      versions: f.keyv.versions,
      open: async (scope) => keyvOps(f.keyv.open(ns(scope))),
    },
    {
      name: f.unstorage.name,
      ours: false,
      versions: f.unstorage.versions,
      open: async (scope) => {
        const storage = f.unstorage.open(ns(scope));
        return {
          set: (key, value) => storage.setItem(key, value.text, { ttl: TTL_SECONDS }),
          get: async (key) => lengthOf(await storage.getItem(key)),
          renew: undefined,
          delete: (key) => storage.removeItem(key),
          exists: (key) => storage.hasItem(key),
          close: () => storage.dispose(),
        };
      },
    },
    {
      name: `cache-manager (${f.keyv.name})`,
      ours: false,
      versions: { ...versions('cache-manager'), ...f.keyv.versions },
      open: async (scope) => cacheManagerOps(createCache({ stores: [f.keyv.open(ns(scope))] })),
    },
  ];
  try {
    await runKvSuite(recorder, f.server.kind, subjects, plan);
  } finally {
    await raw.quit();
  }
  await runClusterRows(recorder, f, plan, runId);
}

/** `versions` with the server entry saying it was a cluster of `cluster`'s masters. */
export function clusterVersions(
  versions: Record<string, string>,
  cluster: BenchCluster,
): Record<string, string> {
  return {
    ...versions,
    [`${cluster.kind}-server`]: `${cluster.version.replace(/^\w+ /, '')} (cluster of ${cluster.nodes.length} masters, binary)`,
  };
}

/** The raw client's name for a variant of it: `ioredis (raw)` → `ioredis (raw, cluster)`. */
export function rawVariant(rawName: string, variant: 'cluster' | 'copies'): string {
  return rawName.replace(/\(raw\)$/, `(raw, ${variant})`);
}

/**
 * Our store on a cluster of 3 masters of the same server kind (started here, stopped at the
 * end): the key-value workloads at 64 in flight for each size, as rows of the server's suite
 * named `RedisStore (cluster)` beside the standalone rows, for "cluster at 64 in flight ≥ 0.9×
 * standalone". Each key space is a store of its own with its own cluster client. The raw
 * client's cluster client runs the same workloads side by side (`ioredis (raw, cluster)`): its
 * own cluster-to-standalone ratio is what the library and this machine allow a cluster.
 */
async function runClusterRows(
  recorder: Recorder,
  f: ServerFlavour,
  plan: KvPlan,
  runId: string,
): Promise<void> {
  const cluster = await startCluster(f.server.kind);
  if (typeof cluster === 'string') {
    recorder.skipSuite(`${f.server.kind} (cluster rows)`, cluster);
    return;
  }
  process.stderr.write(`[${f.server.kind}] cluster of 3 masters at ${cluster.urls.join(', ')}\n`);
  const subject: KvSubject = {
    name: `${f.store.name} (cluster)`,
    ours: true,
    versions: clusterVersions(f.store.versions, cluster),
    open: async (scope) =>
      storeOps(f.store.onCluster(cluster.nodes, { namespace: `bench-${runId}-${scope}` }), true),
  };
  const raw = f.raw.connectCluster(cluster.nodes);
  const rawSubject: KvSubject = {
    name: rawVariant(f.raw.name, 'cluster'),
    ours: false,
    versions: clusterVersions(f.raw.versions, cluster),
    open: async (scope) => rawOps(raw, `bench-${runId}-${scope}:`),
  };
  try {
    await runKvSuite(recorder, f.server.kind, [subject, rawSubject], { ...plan, inFlight: [64] });
  } finally {
    await raw.quit();
    await cluster.stop();
  }
}

/**
 * The raw client: `SET PX`, `GET`, `GETEX PX` (renew), `DEL`, `EXISTS` on prefixed keys; with
 * `copies`, each value read is copied into an `ArrayBuffer` of its own.
 */
function rawOps(client: RawClient, prefix: string, copies = false): KvOps {
  const ttlMs = TTL_SECONDS * 1000;
  const own = copies
    ? (reply: Buffer | null) => (reply === null ? null : new Uint8Array(reply))
    : (reply: Buffer | null) => reply;
  return {
    set: async (key, value) => {
      await client.set(prefix + key, value.buffer, 'PX', ttlMs);
    },
    get: async (key) => lengthOf(own(await client.getBuffer(prefix + key))),
    renew: async (key) => lengthOf(own(await client.getexBuffer(prefix + key, 'PX', ttlMs))),
    delete: async (key) => {
      await client.del(prefix + key);
    },
    exists: async (key) => (await client.exists(prefix + key)) === 1,
  };
}
