// Keyv get/set ops/s through @stores/keyv on a RedisStore against @keyv/redis, on one Redis
// server, 64 operations in flight, in the same run. Every read is checked.
//
//   pnpm --filter @stores/keyv build && node packages/keyv/scripts/bench-redis.mjs [--ops N]
//
// Needs the built dist/ of @stores/keyv, @stores/redis and @stores/conformance. The server is
// the local redis-server binary unless STORES_REDIS_URL / STORES_TEST_SERVERS say otherwise
// (a container's port forwarding would be measured in every operation).
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import KeyvRedis from '@keyv/redis';
import { startTestServer } from '@stores/conformance/servers';
import { RedisStore } from '@stores/redis';
import { Keyv } from 'keyv';
import { createKeyv } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '100' },
  },
});
const OPS = Number(args.ops);
const ROUNDS = Number(args.rounds);
const VALUE = 'x'.repeat(Number(args.size));
const IN_FLIGHT = 64;
const TTL_MS = 3_600_000;

process.env.STORES_TEST_SERVERS ??= 'binary';
const server = await startTestServer('redis');
if (server === undefined) throw new Error('no Redis server: see @stores/conformance/servers');
const run = randomUUID().slice(0, 8);

/**
 * Each subject: a name and how to open a fresh Keyv (or, for reference, something with Keyv's
 * get/set/clear) in its own namespace, and to close it.
 */
const subjects = [
  {
    name: '@stores/keyv (RedisStore)',
    open(namespace) {
      const store = RedisStore.fromUrl(server.url, { namespace });
      return { keyv: createKeyv(store), close: () => store.close() };
    },
  },
  {
    name: '@stores/keyv (RedisStore, enableAutoPipelining)',
    open(namespace) {
      const store = new RedisStore({
        url: server.url,
        namespace,
        clientOptions: { enableAutoPipelining: true },
      });
      return { keyv: createKeyv(store), close: () => store.close() };
    },
  },
  {
    // Not Keyv: the store's own cost, to tell what the adapter and Keyv add on top of it.
    name: 'RedisStore alone, no Keyv (reference)',
    open(namespace) {
      const store = RedisStore.fromUrl(server.url, { namespace });
      const decoder = new TextDecoder();
      const keyv = {
        set: (key, value, ttl) => store.set(key, value, { expiresIn: ttl / 1000 }).then(() => true),
        get: async (key) => {
          const bytes = await store.get(key);
          return bytes === null ? undefined : decoder.decode(bytes);
        },
        clear: () => store.deleteAll(),
      };
      return { keyv, close: () => store.close() };
    },
  },
  {
    name: '@keyv/redis',
    open(namespace) {
      // As @keyv/redis documents it: the adapter scopes the namespace, Keyv does not prefix.
      const keyv = new Keyv({
        store: new KeyvRedis(server.url, { namespace }),
        namespace,
        useKeyPrefix: false,
      });
      return { keyv, close: () => keyv.disconnect() };
    },
  },
];

/** Runs `op(i)` for i in [from, to) with IN_FLIGHT loops each taking the next index. */
async function inFlight(from, to, op) {
  let next = from;
  const worker = async () => {
    while (next < to) await op(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

const workloads = {
  async set(keyv, i) {
    if ((await keyv.set(`key-${i}`, VALUE, TTL_MS)) !== true) throw new Error(`set ${i} failed`);
  },
  async get(keyv, i) {
    const value = await keyv.get(`key-${i}`);
    if (value !== VALUE) throw new Error(`get ${i} read ${typeof value}, not the value set`);
  },
};

/**
 * Per workload, ops/s and this process's CPU time per operation (user + system, in µs: steadier
 * than ops/s on a busy machine) for one subject in a fresh namespace; the keys are removed after.
 */
async function measure(subject, round) {
  const { keyv, close } = subject.open(`bench-${run}-${round}-${subjects.indexOf(subject)}`);
  const warmup = Math.ceil(OPS / 10);
  const result = {};
  try {
    for (const [name, op] of Object.entries(workloads)) {
      await inFlight(OPS, OPS + warmup, (i) => op(keyv, i));
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      await inFlight(0, OPS, (i) => op(keyv, i));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { user, system } = process.cpuUsage(cpu);
      result[name] = { opsPerSecond: OPS / seconds, cpuMicros: (user + system) / OPS };
    }
    await keyv.clear();
  } finally {
    await close();
  }
  return result;
}

const names = Object.keys(workloads);
const samples = new Map(
  subjects.map((s) => [s.name, Object.fromEntries(names.map((n) => [n, []]))]),
);
const loadBefore = loadavg()[0];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so neither subject always runs on a warmer (or busier) machine.
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      const result = await measure(subject, round);
      for (const name of names) samples.get(subject.name)[name].push(result[name]);
    }
  }
} finally {
  await server.stop();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ops = (runs) => median(runs.map((r) => r.opsPerSecond));
const cpu = (runs) => median(runs.map((r) => r.cpuMicros));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const theirs = samples.get('@keyv/redis');
console.log(
  `Keyv ${VALUE.length} B values, ${IN_FLIGHT} in flight, ${OPS} ops per workload, median of ${ROUNDS} rounds`,
);
console.log(
  `Node ${process.version}, ${cpus().length} cores, Redis via ${server.via}, load average ${loadBefore.toFixed(1)} -> ${loadavg()[0].toFixed(1)}\n`,
);
console.log(
  '| subject | set ops/s | get ops/s | set vs @keyv/redis | get vs @keyv/redis | set CPU µs/op | get CPU µs/op |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, { set, get }] of samples) {
  const vs = (mine, peer) => (ops(mine) / ops(peer)).toFixed(2);
  console.log(
    `| ${name} | ${fmt(ops(set))} | ${fmt(ops(get))} | ${vs(set, theirs.set)} | ${vs(get, theirs.get)} | ${cpu(set).toFixed(1)} | ${cpu(get).toFixed(1)} |`,
  );
}
