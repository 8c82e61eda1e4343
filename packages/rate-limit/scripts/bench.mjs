// RateLimiter.hit throughput per backend against rate-limit-redis on the same server, in one
// run, 64 hits in flight. Imports the BUILT packages: build this package, @stores/file,
// @stores/redis and @stores/valkey first (each backend is loaded only when it runs).
//   node scripts/bench.mjs [--seconds 2] [--rounds 5] [--only memory,file,redis,valkey]
// Each subject runs `rounds` times for `seconds` (after a short warm-up), interleaved with the
// others of its backend, on 1000 ids with a limit of 100 per 60 s window, in a fresh namespace
// or prefix per round. Every round is verified: each id must have been admitted exactly
// min(hits, limit) times. The best round (the least disturbed on a shared machine) is reported
// as hits/s with its p50/p99 latency, then every round's hits/s.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryStore } from '@stores/core';
import { RateLimiter } from '@stores/rate-limit';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string', default: 'memory,file,redis,valkey' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = 64;
const IDS = 1000;
const LIMIT = 100;
const WINDOW_SEC = 60;
// A container's port forwarding would be measured in every operation: local binaries.
process.env.STORES_TEST_SERVERS ??= 'binary';

/**
 * Subjects take a fresh store and return `hit(id) → admitted?`. The two beside RateLimiter.hit
 * price its resetIn: `increment + expiresIn` reads the window's end on every hit (what hit
 * would cost without remembering ends), `increment only` is the floor (no resetIn at all).
 */
const OURS = {
  'RateLimiter.hit': (store) => {
    const limiter = new RateLimiter({ store, limit: LIMIT, windowSec: WINDOW_SEC });
    return async (id) => (await limiter.hit(id)).allowed;
  },
  'increment + expiresIn': (store) => async (id) => {
    const hits = await store.increment(id, { expiresIn: WINDOW_SEC });
    await store.expiresIn(id);
    return hits <= LIMIT;
  },
  'increment only': (store) => async (id) =>
    (await store.increment(id, { expiresIn: WINDOW_SEC })) <= LIMIT,
};

/** One timed run of `hit` with 64 loops over the ids; verified; ops/s and latencies. */
async function measure(hit) {
  const hits = new Array(IDS).fill(0);
  const admitted = new Array(IDS).fill(0);
  const latencies = [];
  let next = 0;
  // Deadlines, not timers: an in-memory store resolves in microtasks, which starve timers.
  const timedFrom = performance.now() + 500; // warm-up
  const timedUntil = timedFrom + SECONDS * 1000;
  async function loop() {
    for (let now = performance.now(); now < timedUntil; now = performance.now()) {
      const id = next++ % IDS;
      const allowed = await hit(`id-${id}`);
      if (now >= timedFrom) latencies.push(performance.now() - now);
      hits[id]++;
      if (allowed) admitted[id]++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const elapsed = SECONDS * 1000;
  for (let id = 0; id < IDS; id++) {
    if (admitted[id] !== Math.min(hits[id], LIMIT)) {
      throw new Error(`id-${id}: ${admitted[id]} admitted of ${hits[id]} hits, limit ${LIMIT}`);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { opsPerSec: (latencies.length / elapsed) * 1000, p50: at(0.5), p99: at(0.99) };
}

/** Runs every subject of one backend `ROUNDS` times, interleaved; the best round of each. */
async function runBackend(backend, subjects) {
  const rounds = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, open] of Object.entries(subjects)) {
      const { hit, close } = await open();
      try {
        rounds[name].push(await measure(hit));
      } finally {
        await close();
      }
    }
  }
  for (const [name, results] of Object.entries(rounds)) {
    const all = results.map((r) => Math.round(r.opsPerSec).toLocaleString('en-US')).join(' / ');
    const { opsPerSec, p50, p99 } = results.reduce((best, r) =>
      r.opsPerSec > best.opsPerSec ? r : best,
    );
    console.log(
      `| ${backend} | ${name} | ${Math.round(opsPerSec).toLocaleString('en-US')} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${all} |`,
    );
  }
}

/** Our three subjects on stores `openStore()` makes (closed after each round). */
function oursOn(openStore) {
  return Object.fromEntries(
    Object.entries(OURS).map(([name, make]) => [
      name,
      async () => {
        const store = await openStore();
        return { hit: make(store), close: () => store.close() };
      },
    ]),
  );
}

/** rate-limit-redis's RedisStore over ioredis `call`, as its README shows, fresh prefix. */
async function rateLimitRedisOn(url) {
  const { Redis } = await import('ioredis');
  const { RedisStore: RateLimitRedisStore } = await import('rate-limit-redis');
  return async () => {
    const client = new Redis(url);
    const store = new RateLimitRedisStore({
      sendCommand: (command, ...args) => client.call(command, ...args),
      prefix: `bench-${randomUUID()}:`,
    });
    await store.init({ windowMs: WINDOW_SEC * 1000 });
    return {
      hit: async (id) => (await store.increment(id)).totalHits <= LIMIT,
      close: () => client.quit(),
    };
  };
}

const only = new Set(values.only.split(','));
console.log(
  `RateLimiter.hit vs rate-limit-redis: ${IN_FLIGHT} in flight, ${IDS} ids, limit ${LIMIT}/${WINDOW_SEC}s, ` +
    `best of ${ROUNDS} rounds × ${SECONDS}s (node ${process.version})\n`,
);
console.log('| backend | subject | hits/s (best) | p50 ms | p99 ms | every round (hits/s) |');
console.log('|---|---|---:|---:|---:|---|');
if (only.has('memory'))
  await runBackend(
    'memory',
    oursOn(() => new MemoryStore()),
  );
if (only.has('file')) {
  const { FileStore } = await import('@stores/file');
  const dirs = [];
  await runBackend(
    'file',
    oursOn(() => {
      const path = mkdtempSync(join(tmpdir(), 'rate-limit-bench-'));
      dirs.push(path);
      return new FileStore({ path });
    }),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
for (const kind of ['redis', 'valkey']) {
  if (!only.has(kind)) continue;
  const { startTestServer } = await import('@stores/conformance/servers');
  const Store =
    kind === 'redis'
      ? (await import('@stores/redis')).RedisStore
      : (await import('@stores/valkey')).ValkeyStore;
  const server = await startTestServer(kind);
  if (server === undefined) throw new Error(`no ${kind} server (see STORES_TEST_SERVERS)`);
  try {
    await runBackend(kind, {
      ...oursOn(() => Store.fromUrl(server.url, { namespace: `bench-${randomUUID()}` })),
      'rate-limit-redis 6.0.1 (ioredis)': await rateLimitRedisOn(server.url),
    });
  } finally {
    await server.stop();
  }
}
