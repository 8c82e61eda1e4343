/**
 * A/B of deleteAll in one process, interleaved rounds, medians: the client-side loop the store
 * used before (cursor SCAN MATCH COUNT 1000, each page UNLINKed in batches of 1000 while the
 * next page is scanned), the per-page script (one EVALSHA runs `SCAN cursor MATCH COUNT n` and
 * UNLINKs that page; the client loops the cursor) at several COUNTs, with one multi-key UNLINK
 * per page (standalone only: a cluster refuses keys of several slots in one command) or one
 * UNLINK per key, and the built store's own deleteAll. 100k keys of a namespace among 100k
 * others, standalone and on a 3-master cluster (every master in parallel). Reports the median
 * total time, the median longest PING round trip on other connections (one per master), the
 * median longest single command the servers logged (SLOWLOG) and the server's own time per
 * call (INFO commandstats: how long each call blocks the server).
 * `node --import tsx src/ab-delete-all.ts [rounds] [redis,valkey,redis-cluster,valkey-cluster]
 * [variant words, e.g. loop,store,per-key 1000 or =script unlink-per-key 500]`.
 */
import { createHash } from 'node:crypto';
import { startTestCluster, type TestCluster } from '@stores/conformance/servers';
import type { Store } from '@stores/core';
import { RedisStore } from '@stores/redis';
import { ValkeyStore } from '@stores/valkey';
import { Cluster, Redis } from 'ioredis';
import { PingLoop } from './ping.js';
import { startServer } from './servers.js';

const ENTRIES = 100_000;
const NAMESPACE = 'abN';
const FOREIGN = ['abN2:', 'abN_raw:', 'other:', 'ab:'];
const rounds = Number(process.argv[2] ?? 3);
const topologies = (process.argv[3] ?? 'redis,valkey,redis-cluster,valkey-cluster').split(',');
const value = 'x'.repeat(100);

/** One page: SCAN, then UNLINK its keys; replies the next cursor. `perKey`: one UNLINK a key. */
function pageScript(perKey: boolean): { text: string; sha: string } {
  const unlink = perKey
    ? "for i = 1, #keys do redis.call('UNLINK', keys[i]) end"
    : "for i = 1, #keys, 1000 do redis.call('UNLINK', unpack(keys, i, math.min(i + 999, #keys))) end";
  const text = `#!lua flags=allow-oom,allow-cross-slot-keys
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local keys = page[2]
${unlink}
return page[1]`;
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}
const UNPACK = pageScript(false);
const PER_KEY = pageScript(true);

// CRC16-XMODEM, as the store groups UNLINKs per slot (the keys here have no hash tag).
const CRC_TABLE = Uint16Array.from({ length: 256 }, (_, i) => {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});
function slotOf(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  }
  return crc % 16384;
}

type Node = InstanceType<typeof Redis>;
interface Topology {
  name: string;
  /** Where keys are written (a cluster client routes each SET). */
  writer: Node | Cluster;
  /** The masters, each scanned on its own connection. */
  masters: () => Node[];
  store: Store;
  stop(): Promise<void>;
}

/** The old client-side loop on one node; UNLINKs go through `router` (per slot on a cluster). */
async function loop(node: Node, router: Node | Cluster, cluster: boolean): Promise<void> {
  let cursor = '0';
  let unlinking: Promise<unknown> = Promise.resolve();
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${NAMESPACE}:*`, 'COUNT', 1000);
    cursor = next;
    await unlinking;
    const batches: Promise<unknown>[] = [];
    if (cluster) {
      const bySlot = new Map<number, string[]>();
      for (const key of keys) {
        const slot = slotOf(key);
        const group = bySlot.get(slot);
        if (group === undefined) bySlot.set(slot, [key]);
        else group.push(key);
      }
      for (const group of bySlot.values()) batches.push(router.unlink(...group));
    } else {
      for (let i = 0; i < keys.length; i += 1000) {
        batches.push(router.unlink(...keys.slice(i, i + 1000)));
      }
    }
    unlinking = Promise.all(batches);
  } while (cursor !== '0');
  await unlinking;
}

/** The per-page script on one node, the client looping the cursor. */
async function script(
  node: Node,
  body: { text: string; sha: string },
  count: number,
): Promise<void> {
  let cursor = '0';
  do {
    const args = [0, cursor, `${NAMESPACE}:*`, count] as const;
    let reply: unknown;
    try {
      reply = await node.evalsha(body.sha, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      reply = await node.eval(body.text, ...args);
    }
    cursor = String(reply);
  } while (cursor !== '0');
}

const VARIANTS: Record<string, (t: Topology) => Promise<void>> = {
  loop: (t) => each(t, (node) => loop(node, t.writer, t.writer instanceof Cluster)),
  'script unlink-per-page 500': (t) => each(t, (node) => script(node, UNPACK, 500)),
  'script unlink-per-page 1000': (t) => each(t, (node) => script(node, UNPACK, 1000)),
  'script unlink-per-page 2000': (t) => each(t, (node) => script(node, UNPACK, 2000)),
  'script unlink-per-key 250': (t) => each(t, (node) => script(node, PER_KEY, 250)),
  'script unlink-per-key 500': (t) => each(t, (node) => script(node, PER_KEY, 500)),
  'script unlink-per-key 1000': (t) => each(t, (node) => script(node, PER_KEY, 1000)),
  'script unlink-per-key 2000': (t) => each(t, (node) => script(node, PER_KEY, 2000)),
  // One master after another: on a 2-core machine parallel masters contend for the cores.
  'script unlink-per-key 500, masters in turn': async (t) => {
    for (const node of t.masters()) await script(node, PER_KEY, 500);
  },
  'script unlink-per-key 1000, masters in turn': async (t) => {
    for (const node of t.masters()) await script(node, PER_KEY, 1000);
  },
  store: (t) => t.store.deleteAll(),
};
// Optional: only the variants whose names contain one of these comma-separated words (or, for
// `=name`, are exactly it).
const only = process.argv[4]?.split(',');

async function each(t: Topology, run: (node: Node) => Promise<void>): Promise<void> {
  await Promise.all(t.masters().map(run));
}

async function standalone(kind: 'redis' | 'valkey'): Promise<Topology> {
  const server = await startServer(kind);
  if (typeof server === 'string') throw new Error(server);
  const client = new Redis(server.url);
  const Store = kind === 'redis' ? RedisStore : ValkeyStore;
  const store = Store.fromUrl(server.url, { namespace: NAMESPACE });
  return {
    name: kind,
    writer: client,
    masters: () => [client],
    store,
    async stop() {
      await store.close();
      await client.quit();
      await server.stop();
    },
  };
}

async function cluster(kind: 'redis' | 'valkey'): Promise<Topology> {
  const started: TestCluster | undefined = await startTestCluster(kind);
  if (started === undefined) throw new Error(`no ${kind} cluster`);
  const client = new Cluster(started.nodes, { enableAutoPipelining: true });
  await client.ping();
  const Store = kind === 'redis' ? RedisStore : ValkeyStore;
  const store = new Store({ cluster: { nodes: started.nodes }, namespace: NAMESPACE });
  return {
    name: `${kind}-cluster`,
    writer: client,
    masters: () => client.nodes('master'),
    store,
    async stop() {
      await store.close();
      await client.quit();
      await started.stop();
    },
  };
}

/** Writes `count` keys `${prefix}${i}`: MSETs of 1000 standalone, routed SETs on a cluster. */
async function load(t: Topology, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const end = Math.min(count, i + 1000);
    if (t.writer instanceof Cluster) {
      const sets: Promise<unknown>[] = [];
      for (let j = i; j < end; j++) sets.push(t.writer.set(`${prefix}${j}`, value));
      await Promise.all(sets);
    } else {
      const args: string[] = [];
      for (let j = i; j < end; j++) args.push(`${prefix}${j}`, value);
      await t.writer.mset(...args);
    }
  }
}

async function dbsize(t: Topology): Promise<number> {
  const sizes = await Promise.all(t.masters().map((node) => node.dbsize()));
  return sizes.reduce((a, b) => a + b, 0);
}

/** Server µs per call of each blocking command, over every master. */
async function usecPerCall(t: Topology): Promise<string> {
  const totals = new Map<string, { calls: number; usec: number }>();
  for (const node of t.masters()) {
    const info = await node.info('commandstats');
    for (const [, command = '', calls, usec] of info.matchAll(
      /cmdstat_(scan|unlink|evalsha|eval):calls=(\d+),usec=(\d+)/g,
    )) {
      const total = totals.get(command) ?? { calls: 0, usec: 0 };
      total.calls += Number(calls);
      total.usec += Number(usec);
      totals.set(command, total);
    }
  }
  return [...totals]
    .map(([command, { calls, usec }]) => `${command} ${(usec / calls).toFixed(0)}`)
    .join(' ');
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Row {
  ms: number[];
  stallMs: number[];
  serverMaxMs: number[];
  usec: string[];
}
const results = new Map<string, Map<string, Row>>();
for (const name of topologies) {
  const [kind, shape] = name.split('-') as ['redis' | 'valkey', string | undefined];
  const t = shape === 'cluster' ? await cluster(kind) : await standalone(kind);
  const variants = Object.keys(VARIANTS)
    .filter(
      (variant) =>
        only === undefined ||
        only.some((word) =>
          word.startsWith('=') ? variant === word.slice(1) : variant.includes(word),
        ),
    )
    .filter(
      // A multi-key UNLINK of a page's keys crosses slots: a cluster refuses it.
      (variant) =>
        shape === 'cluster' ? !variant.includes('per-page') : !variant.includes('in turn'),
    );
  const rows = new Map<string, Row>();
  results.set(name, rows);
  const ping = await PingLoop.start(
    t.masters().map((node) => `redis://${node.options.host}:${node.options.port}`),
  );
  try {
    for (const prefix of FOREIGN) await load(t, prefix, ENTRIES / FOREIGN.length);
    await t.store.set('warm-up', 'v'); // connect (and, on a cluster, learn the slots) untimed
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        await load(t, `${NAMESPACE}:`, ENTRIES);
        await Promise.all(t.masters().map((node) => node.call('CONFIG', 'RESETSTAT')));
        let ms = Number.NaN;
        const stall = await ping.during(async () => {
          const started = performance.now();
          await VARIANTS[variant]?.(t);
          ms = performance.now() - started;
        });
        const usec = await usecPerCall(t);
        const left = await dbsize(t);
        if (left !== ENTRIES) throw new Error(`${variant} on ${name} left ${left} keys`);
        const row = rows.get(variant) ?? { ms: [], stallMs: [], serverMaxMs: [], usec: [] };
        row.ms.push(ms);
        row.stallMs.push(stall.maxMs);
        row.serverMaxMs.push(stall.serverMaxMs);
        row.usec.push(usec);
        rows.set(variant, row);
        process.stderr.write(
          `${name} ${variant}: ${ms.toFixed(0)} ms, stall ${stall.maxMs.toFixed(1)} ms, longest command ${stall.serverMaxMs.toFixed(2)} ms, ${usec}\n`,
        );
      }
    }
  } finally {
    await ping.stop();
    await t.stop();
  }
}
console.log(
  `\n${ENTRIES / 1000}k among ${ENTRIES / 1000}k, ${rounds} interleaved rounds, medians\n`,
);
console.log(
  '| topology | variant | total ms | longest PING ms | longest command ms | server µs per call (last round) | total ms, each round |',
);
console.log('|---|---|---:|---:|---:|---|---|');
for (const [name, rows] of results) {
  for (const [variant, row] of rows) {
    console.log(
      `| ${name} | ${variant} | ${median(row.ms).toFixed(0)} | ${median(row.stallMs).toFixed(1)} | ${median(row.serverMaxMs).toFixed(2)} | ${row.usec.at(-1)} | ${row.ms.map((m) => m.toFixed(0)).join(' ')} |`,
    );
  }
}
