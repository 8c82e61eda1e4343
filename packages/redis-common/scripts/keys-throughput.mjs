// Measures keys() of RedisStore and ValkeyStore over 100k keys: keys per second, and the heap
// while it streams (sampled every 10k keys, after a forced GC, relative to before the loop),
// on a standalone server and on a 3-master cluster. The namespace also has 100k keys in a
// child namespace and the server 100k foreign keys, which SCAN visits and keys() skips.
//
//   pnpm --filter @stores/redis --filter @stores/valkey --filter @stores/redis-common build
//   node --expose-gc packages/redis-common/scripts/keys-throughput.mjs [redis|valkey] [standalone|cluster]
//
// Servers come from @stores/conformance/servers (STORES_TEST_SERVERS=binary for local binaries).
import { startTestCluster, startTestServer } from '@stores/conformance/servers';

const KEYS = 100_000;
const kinds = process.argv[2] ? [process.argv[2]] : ['redis', 'valkey'];
const wheres = process.argv[3] ? [process.argv[3]] : ['standalone', 'cluster'];
const gc = globalThis.gc ?? (() => {});
if (globalThis.gc === undefined) console.warn('run with --expose-gc for meaningful heap numbers');

const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function writeAll(store, count, name) {
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, count - i) }, (_, j) =>
        store.set(`${name}${i + j}`, 'v'),
      ),
    );
  }
}

async function measure(kind, where) {
  const { RedisStore } = await import('../../redis/dist/index.js');
  const { ValkeyStore } = await import('../../valkey/dist/index.js');
  const Store = kind === 'redis' ? RedisStore : ValkeyStore;
  const target = where === 'cluster' ? await startTestCluster(kind) : await startTestServer(kind);
  if (target === undefined) throw new Error(`no ${kind} server`);
  const open = (namespace) =>
    'url' in target
      ? Store.fromUrl(target.url, { namespace })
      : new Store({ cluster: { nodes: target.nodes }, namespace });
  const store = open('bench*[ns]');
  const foreign = open('foreign');
  try {
    await writeAll(store, KEYS, 'key:');
    await writeAll(store.withNamespace('child'), KEYS, 'key:');
    await writeAll(foreign, KEYS, 'key:');
    // Throughput without the heap sampling (a forced GC every 10k keys costs time).
    const rates = [];
    for (let run = 0; run < 3; run++) {
      let count = 0;
      const started = performance.now();
      for await (const _ of store.keys()) count++;
      const ms = performance.now() - started;
      if (count !== KEYS) throw new Error(`keys() yielded ${count} keys, not ${KEYS}`);
      rates.push(Math.round(count / (ms / 1000)));
    }
    const before = heapMb();
    const samples = [];
    let count = 0;
    for await (const _ of store.keys()) {
      if (++count % 10_000 === 0) samples.push((heapMb() - before).toFixed(2));
    }
    console.log(
      `${kind} ${where}: keys/s over ${KEYS} keys (3 runs): ${rates.join(', ')}; ` +
        `heap delta every 10k keys (MB): ${samples.join(' ')}`,
    );
  } finally {
    await store.deleteAll();
    await foreign.deleteAll();
    await store.close();
    await foreign.close();
    await target.stop();
  }
}

for (const kind of kinds) for (const where of wheres) await measure(kind, where);
