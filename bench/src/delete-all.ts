import type { Store } from '@stores/core';
import type { Keyv } from 'keyv';
import type { Storage } from 'unstorage';
import { runInFlight, timeOnce, verify } from './harness.js';
import { lengthOf, makeValue, slug } from './kv.js';
import { PingLoop, type Stall } from './ping.js';
import { clusterVersions, type RawClient, type ServerFlavour } from './redis.js';
import { failureNote, type Recorder } from './results.js';
import { startCluster } from './servers.js';

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

// The scale curve's other sizes, beside the suite's own row (`entries`: 100k in the full run,
// 10k in the quick one, as main.ts passes them): 10k, 100k, 1M; quick 1k, 5k, 10k.
const SCALE_SIZES = { full: [10_000, 1_000_000], quick: [1_000, 5_000] };
// Raw MSETs of 1000 keys kept in flight while a scale row is written.
const WRITERS = 4;

/**
 * deleteAll of a namespace holding `entries` keys on a server that holds `entries` other keys
 * too: sibling namespaces sharing the name as a prefix (`N2`, `N*`), keys the subject did not
 * write that share the prefix (`N_raw:…`) and unrelated keys. Reports the time of the call and
 * the longest PING stall seen on another connection meanwhile; then reads every key back:
 * exactly the namespace's keys must be gone. Then, for our store only: the scale curve (the
 * same wipe at other sizes, keys written raw for speed) and the same wipe on a 3-master
 * cluster of the same server kind (PING probes on every master). Every row's metrics say how
 * many entries it wiped (`entries`).
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
        workload: `${f.server.kind}: ${wipe(entries)}`,
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
    // Our store alone at the scale curve's other sizes, after the rows above (whose row of our
    // store stays its first).
    const sizes = entries >= 100_000 ? SCALE_SIZES.full : SCALE_SIZES.quick;
    for (const size of sizes) {
      const row = {
        suite: 'deleteAll',
        subject: f.store.name,
        ours: true,
        versions: f.store.versions,
        workload: `${f.server.kind}: ${wipe(size)}`,
        valueBytes: VALUE_BYTES,
        inFlight: 1,
      };
      try {
        const metrics = await measureScale(f, raw, ping, size, `bench-${runId}-da-scale-${size}`);
        recorder.add({ ...row, status: 'ok', metrics });
      } catch (error) {
        recorder.add({ ...row, status: 'failed', note: failureNote(error) });
      }
    }
  } finally {
    await ping.stop();
    await raw.quit();
  }
  await runClusterRow(recorder, f, entries, runId);
}

/** `deleteAll 100,000 among 100,000`. */
function wipe(entries: number): string {
  const n = entries.toLocaleString('en-US');
  return `deleteAll ${n} among ${n}`;
}

/**
 * Our store's deleteAll on a 3-master cluster (started here, stopped at the end), measured as
 * the standalone row is, with a PING probe on every master: `stallMs` is the longest of all.
 */
async function runClusterRow(
  recorder: Recorder,
  f: ServerFlavour,
  entries: number,
  runId: string,
): Promise<void> {
  const cluster = await startCluster(f.server.kind);
  if (typeof cluster === 'string') {
    recorder.skipSuite(`deleteAll (${f.server.kind} cluster)`, cluster);
    return;
  }
  const row = {
    suite: 'deleteAll',
    subject: `${f.store.name} (cluster)`,
    ours: true,
    versions: clusterVersions(f.store.versions, cluster),
    workload: `${f.server.kind} cluster of 3 masters: ${wipe(entries)}`,
    valueBytes: VALUE_BYTES,
    inFlight: 1,
  };
  const subject: Subject = {
    name: row.subject,
    ours: true,
    versions: row.versions,
    scope: (namespace) => storeScope(f.store.onCluster(cluster.nodes, { namespace })),
  };
  const raw = f.raw.connectCluster(cluster.nodes);
  try {
    const ping = await PingLoop.start(cluster.urls);
    try {
      const metrics = await measure(subject, raw, ping, entries, `bench-${runId}-da-cluster`, true);
      recorder.add({ ...row, status: 'ok', metrics });
    } finally {
      await ping.stop();
    }
  } catch (error) {
    recorder.add({ ...row, status: 'failed', note: failureNote(error) });
  } finally {
    await raw.quit();
    await cluster.stop();
  }
}

/**
 * One point of the scale curve: `entries` keys of namespace `name` among as many others (a
 * quarter each in sibling namespaces `name2` and `name*`, raw keys `name_raw:…`, unrelated
 * keys), all written raw in the store's layout (`name:key`), which is much faster than through
 * the store at a million keys. The wipe is timed with the PING probe; then none of the
 * namespace's keys may exist and every other key must.
 */
async function measureScale(
  f: ServerFlavour,
  raw: RawClient,
  ping: PingLoop,
  entries: number,
  name: string,
): Promise<Record<string, number>> {
  const value = makeValue(VALUE_BYTES).text;
  const quarter = Math.floor(entries / 4);
  const others = [
    { prefix: `${name}2:k`, count: quarter },
    { prefix: `${name}*:k`, count: quarter },
    { prefix: `${name}_raw:`, count: Math.ceil((entries - 2 * quarter) / 2) },
    { prefix: `unrelated-${name}:`, count: Math.floor((entries - 2 * quarter) / 2) },
  ];
  const groups = [{ prefix: `${name}:k`, count: entries }, ...others];
  const store = f.store.fromUrl(f.server.url, { namespace: name });
  try {
    const progress = new Progress(
      `${f.server.kind}: writing ${(2 * entries).toLocaleString('en-US')} keys`,
      2 * entries,
    );
    for (const { prefix, count } of groups) {
      await msetMany(raw, prefix, count, value, { progress: (n) => progress.add(n) });
    }
    progress.done();
    await store.exists('warm-up'); // connected, untimed
    let durationMs = Number.NaN;
    const stall = await ping.during(async () => {
      durationMs = await timeOnce(() => store.deleteAll());
    });
    const left = await countRaw(raw, `${name}:k`, entries);
    verify(left === 0, () => `${left} of the namespace's ${entries} keys are left`);
    for (const { prefix, count } of others) {
      const found = await countRaw(raw, prefix, count);
      verify(
        found === count,
        () => `${count - found} of the ${count} keys ${prefix}* were deleted`,
      );
    }
    return wipeMetrics(entries, durationMs, stall);
  } finally {
    for (const { prefix, count } of groups) await unlinkRaw(raw, prefix, count);
    await store.close();
  }
}

/** A wipe's row metrics: how many entries it removed, how long it took, the PING probe's view. */
/** One timed wipe: how long it took, and what the PING probe saw meanwhile. */
interface Wipe {
  durationMs: number;
  stall: Stall;
}

// Our store's 100k rows (standalone and cluster) wipe the namespace this many times, written
// again before each: one wipe's longest PING is one sample of a whole machine, which on 2
// shared cores is now and then held a few ms by nothing the servers ran (an idle 200 ms window
// saw up to 4 ms); the median wipe is the store's. The other subjects wipe once.
const OUR_WIPES = 3;

/**
 * The metrics of `wipes` of the same namespace: the median time and the median longest PING
 * of them, with the longest PING and the longest server command over all of them.
 */
function wipesMetrics(entries: number, wipes: readonly Wipe[]): Record<string, number> {
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const stalls = wipes.map(({ stall }) => stall.maxMs);
  return {
    ...wipeMetrics(entries, median(wipes.map((w) => w.durationMs)), {
      maxMs: median(stalls),
      serverMaxMs: Math.max(...wipes.map(({ stall }) => stall.serverMaxMs)),
      p50Ms: median(wipes.map(({ stall }) => stall.p50Ms)),
      pings: median(wipes.map(({ stall }) => stall.pings)),
    }),
    wipes: wipes.length,
    stallLongestMs: Math.max(...stalls),
  };
}

function wipeMetrics(entries: number, durationMs: number, stall: Stall): Record<string, number> {
  return {
    entries,
    durationMs,
    stallMs: stall.maxMs,
    serverMaxMs: stall.serverMaxMs,
    pingP50Ms: stall.p50Ms,
    pings: stall.pings,
  };
}

/** Prints how far a long write has come to stderr, at most every 10%. */
class Progress {
  readonly #what: string;
  readonly #total: number;
  readonly #started = performance.now();
  #done = 0;
  #printed = 0;

  constructor(what: string, total: number) {
    this.#what = what;
    this.#total = total;
  }

  add(n: number): void {
    this.#done += n;
    const tenth = Math.floor((this.#done / this.#total) * 10);
    // Only rows big enough to take a while say anything.
    if (this.#total < 200_000 || tenth <= this.#printed || tenth >= 10) return;
    this.#printed = tenth;
    process.stderr.write(`[deleteAll] ${this.#what}: ${tenth * 10}%\n`);
  }

  done(): void {
    if (this.#total < 200_000) return;
    const s = ((performance.now() - this.#started) / 1000).toFixed(1);
    process.stderr.write(`[deleteAll] ${this.#what}: done in ${s} s\n`);
  }
}

/**
 * The namespace of `entries` keys through the subject, the others beside it, the timed wipe
 * and the check. `tagged` (a cluster): each batch of raw keys shares a hash tag after the
 * prefix (`N_raw:{0}1`), so that one MSET, EXISTS or UNLINK may name them all.
 */
async function measure(
  subject: Subject,
  raw: RawClient,
  ping: PingLoop,
  entries: number,
  name: string,
  tagged = false,
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
    for (const scope of siblings) {
      await runInFlight(0, quarter, 64, (i) => scope.set(`k${i}`, value), undefined);
    }
    for (const { prefix, count } of rawGroups)
      await msetMany(raw, prefix, count, value, { tagged });
    const wipes: Wipe[] = [];
    for (let wipe = 0; wipe < (subject.ours ? OUR_WIPES : 1); wipe++) {
      await runInFlight(0, entries, 64, (i) => target.set(`k${i}`, value), undefined);
      let durationMs = Number.NaN;
      const stall = await ping.during(async () => {
        durationMs = await timeOnce(() => target.clear());
      });
      wipes.push({ durationMs, stall });
      await verifyWipe(target, siblings, raw, rawGroups, entries, quarter, tagged);
    }
    return wipesMetrics(entries, wipes);
  } finally {
    for (const scope of siblings) await scope.clear();
    for (const { prefix, count } of rawGroups) await unlinkRaw(raw, prefix, count, tagged);
    await Promise.all([target, ...siblings].map((s) => s.close()));
  }
}

/** Every key of the wiped namespace is gone; every other key is intact. */
async function verifyWipe(
  target: Scope,
  siblings: Scope[],
  raw: RawClient,
  rawGroups: { prefix: string; count: number }[],
  entries: number,
  quarter: number,
  tagged: boolean,
): Promise<void> {
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
    const left = await countRaw(raw, prefix, count, tagged);
    verify(
      left === count,
      () => `${count - left} of the ${count} raw keys ${prefix}* were deleted`,
    );
  }
}

/**
 * Writes `count` raw keys `${prefix}${i}`, 1000 per MSET, `WRITERS` MSETs in flight;
 * `progress` hears of each batch written. `tagged`: see `measure`.
 */
async function msetMany(
  raw: RawClient,
  prefix: string,
  count: number,
  value: string,
  { tagged = false, progress }: { tagged?: boolean; progress?: (written: number) => void } = {},
): Promise<void> {
  await inBatches(prefix, count, tagged, async (keys) => {
    await raw.mset(...keys.flatMap((key) => [key, value]));
    progress?.(keys.length);
  });
}

/** How many of the raw keys `msetMany` wrote still exist. */
async function countRaw(
  raw: RawClient,
  prefix: string,
  count: number,
  tagged = false,
): Promise<number> {
  let found = 0;
  await inBatches(prefix, count, tagged, async (keys) => {
    const present = await raw.exists(...keys);
    found += present; // not `found += await …`: that reads `found` before the await
  });
  return found;
}

/** Removes the raw keys `msetMany` wrote (their names are known: no scan needed). */
async function unlinkRaw(
  raw: RawClient,
  prefix: string,
  count: number,
  tagged = false,
): Promise<void> {
  await inBatches(prefix, count, tagged, (keys) => raw.unlink(...keys));
}

/** Runs `action` on each batch of 1000 raw key names, `WRITERS` batches at a time. */
async function inBatches(
  prefix: string,
  count: number,
  tagged: boolean,
  action: (keys: string[]) => Promise<unknown>,
): Promise<void> {
  const batches = rawKeyBatches(prefix, count, tagged);
  const worker = async (): Promise<void> => {
    for (let next = batches.next(); next.done !== true; next = batches.next()) {
      await action(next.value);
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, worker));
}

function* rawKeyBatches(prefix: string, count: number, tagged: boolean): Generator<string[]> {
  for (let from = 0; from < count; from += 1000) {
    const keys: string[] = [];
    const head = tagged ? `${prefix}{${from}}` : prefix;
    for (let i = from; i < Math.min(count, from + 1000); i++) keys.push(`${head}${i}`);
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
