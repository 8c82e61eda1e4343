/**
 * Redis Cluster failover and resharding, and Sentinel failover, under load: the topology tests
 * of @stores/redis and @stores/valkey, written once like `kit.ts`. Each package's
 * `test/topology.test.ts` calls `defineTopologyTests` with its store class and client library.
 * One replicated cluster (3 masters, 3 replicas) and one Sentinel setup per file, spawned from
 * the local server binaries, serve every test in order: conformance first, then the slot
 * migrations, then the failovers (each kills a different master).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runStoreConformance } from '@stores/conformance';
import {
  sentinelMaster,
  startTestCluster,
  startTestSentinel,
  type TestCluster,
  type TestMember,
  type TestSentinel,
} from '@stores/conformance/servers';
import { MemoryStore, type Store, StoreError } from '@stores/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLikeClient } from '../src/client.js';
import { hashSlot } from '../src/hash-slot.js';
import { childPrefix, entryKey, matchPattern, rootPrefix } from '../src/key-layout.js';
import { DELETE_PAGE_SCRIPT } from '../src/scripts.js';
import {
  type Backend,
  type KitClient,
  type NodeAddress,
  noServer,
  raw,
  rejectionCode,
  type StoreHandle,
  scanCount,
  uid,
} from './kit-support.js';

/** How the tests build a store that owns a Sentinel client. */
export interface SentinelStoreOptions {
  sentinels: NodeAddress[];
  /** The master name the Sentinels monitor. */
  name: string;
  namespace: string;
  commandTimeoutMs: number;
}

/** What a backend package hands the topology tests, beyond what it hands `kit.ts`. */
export interface TopologyBackend<Client extends KitClient> extends Backend<Client> {
  /** `new XStore({ clientOptions: { sentinels, name }, namespace, commandTimeoutMs })`. */
  createSentinelStore(options: SentinelStoreOptions): Store;
  /** A plain client of the backend's library in Sentinel mode. */
  connectSentinel(sentinels: NodeAddress[], name: string): Client;
}

// The stores under test fail a call after TIMEOUT_MS; one that has not settled MARGIN_MS later
// (generous: this machine is shared and noisy) counts as hung.
const TIMEOUT_MS = 1000;
const MARGIN_MS = 3000;
// Workloads: LOOPS loops, each with one call in flight, pausing PACE_MS between calls (to
// spare the shared CPU), each stopping by itself after MAX_CALLS calls or MAX_RUN_MS.
const LOOPS = 8;
const PACE_MS = 2;
const MAX_CALLS = 20_000;
const MAX_RUN_MS = 60_000;
// Calls fired all at once at the moment of a kill, on top of the loops'.
const BURST = 200;
// A conformance case's time limit: a cluster with replicas on this shared 2-core machine runs
// the slowest cases (keys.exactly-once, model.random-operations) in 10-15 s.
const CONFORMANCE_TIMEOUT_MS = 30_000;
// How many slots the reshard under load moves.
const RESHARD_SLOTS = 200;

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const text = (reply: unknown): string => String(reply);

/** The value of `field:` in an INFO reply, or undefined. */
function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Calls `call` every 50 ms until it resolves; throws naming `what` after 20 s. */
function untilResolves(call: () => Promise<unknown>, what: string): Promise<void> {
  return waitUntil(() => call().then(() => true), what);
}

// ---------------------------------------------------------------------------------------------
// A workload whose every write is countable: set/get/increment/delete loops.

/** How a watched call ended: `hung` once it is MARGIN_MS past the stores' timeout. */
type Outcome<T> =
  | { status: 'resolved'; value: T }
  | { status: 'rejected'; error: unknown }
  | { status: 'hung' };
/** A write's fate as the caller knows it: resolved, or rejected (applied or not, unknown). */
type Ack = 'acked' | 'uncertain';

/** One key a workload wrote: every key is written once, with a value naming the key. */
interface Entry {
  readonly store: Store;
  set: Ack;
  deleted?: Ack;
}

interface Counter {
  readonly store: Store;
  readonly key: string;
  /** The last result an increment resolved with. */
  acked: number;
}

/** What a workload saw, for assertions and for the measurements the tests print. */
interface WorkloadReport {
  /** Calls started, the burst's included. */
  readonly calls: number;
  /** Calls in flight at the mark (a kill, a reshard), the burst's included. */
  readonly inFlightAtMark: number;
  /** Calls that resolved or rejected in time. */
  readonly settled: number;
  /** Calls not settled `commandTimeoutMs + margin` after they started. */
  readonly hung: number;
  /** Rejections by `StoreError` code; `other` for anything that is not a StoreError. */
  readonly failures: Readonly<Record<string, number>>;
  /** The slowest call that settled, in ms. */
  readonly slowestMs: number;
  /** From the mark until the last failed call settled (0 if none failed). */
  readonly unavailableMs: number;
  /** Reads and deletes during the run that missed an acknowledged write. */
  readonly staleReads: number;
  /** Values read back that are not exactly what was written under that key. */
  readonly torn: number;
  /** Acknowledged sets whose key was missing at the end. */
  readonly lostWrites: number;
  /** Acknowledged deletes whose key was back at the end. */
  readonly lostDeletes: number;
  /** Acknowledged increments missing from the counters, during the run and at the end. */
  readonly lostIncrements: number;
  /** The cluster slots of lost keys and counters. */
  readonly lostSlots: readonly number[];
  /** Each failed call: its key's cluster slot (when known) and the error's message. */
  readonly failedCalls: readonly FailedCall[];
  /** Reads of the final check that failed (the store did not serve again). */
  readonly verifyErrors: number;
}

/** A call that rejected. */
interface FailedCall {
  readonly slot: number | undefined;
  readonly message: string;
}

/** The total of acknowledged writes that were lost. */
function lostTotal(report: WorkloadReport): number {
  return report.lostWrites + report.lostDeletes + report.lostIncrements;
}

interface WorkloadOptions {
  /** The stores the loops use, round-robin. */
  readonly stores: readonly Store[];
  /** The key of write `n` of loop `loop`; `n = -1` is the loop's counter. */
  readonly keyOf?: (loop: number, n: number) => string;
  /** The cluster slot of a key, to say where losses were. */
  readonly slotOf?: (key: string) => number;
  /** Concurrent loops. Default LOOPS. */
  readonly loops?: number;
  /** Calls after which a loop stops by itself. Default MAX_CALLS. */
  readonly callsPerLoop?: number;
}

/** The value written under `key`: it names the key, so a torn or misplaced value shows. */
function valueFor(key: string): string {
  return `${key}|${'#'.repeat(key.length % 17)}|${key}`;
}

/**
 * Loops of set (a new key each time) / get / increment / delete, each call watched: every
 * call's outcome, how long it took, and what the store acknowledged, so that lost, stale and
 * torn data can be counted afterwards by `verify()`.
 */
class Workload {
  readonly #stores: readonly Store[];
  readonly #keyOf: (loop: number, n: number) => string;
  readonly #slotOf: ((key: string) => number) | undefined;
  readonly #loopCount: number;
  readonly #callsPerLoop: number;
  readonly #entries = new Map<string, Entry>();
  readonly #counters: Counter[] = [];
  readonly #failures: Record<string, number> = {};
  readonly #lostSlots = new Set<number>();
  readonly #failedCalls: FailedCall[] = [];
  #loops: Promise<void>[] = [];
  #deadline = 0;
  #stopping = false;
  #calls = 0;
  #inFlight = 0;
  #inFlightAtMark = 0;
  #hung = 0;
  #slowestMs = 0;
  #markAt: number | undefined;
  #lastFailureAt: number | undefined;
  #staleReads = 0;
  #torn = 0;
  #lostWrites = 0;
  #lostDeletes = 0;
  #lostIncrements = 0;
  #verifyErrors = 0;

  constructor(options: WorkloadOptions) {
    this.#stores = options.stores;
    this.#keyOf = options.keyOf ?? ((loop, n) => `${loop}.${n}`);
    this.#slotOf = options.slotOf;
    this.#loopCount = options.loops ?? LOOPS;
    this.#callsPerLoop = options.callsPerLoop ?? MAX_CALLS;
  }

  /** Starts the loops. */
  start(): void {
    this.#deadline = performance.now() + MAX_RUN_MS;
    this.#loops = Array.from({ length: this.#loopCount }, (_, loop) => this.#loop(loop));
  }

  /** Notes the moment of the event under test; the unavailability window starts here. */
  mark(): void {
    this.#markAt = performance.now();
    this.#inFlightAtMark = this.#inFlight;
  }

  /** Fires `count` sets of new keys at once (awaited by the caller, like the loops). */
  async burst(count: number): Promise<void> {
    this.#inFlightAtMark += count;
    await Promise.all(
      Array.from({ length: count }, (_, n) =>
        this.#set(this.#store(n), this.#keyOf(this.#loopCount, n)),
      ),
    );
  }

  /** Resolves once every loop has returned, by itself or after `stop()`. */
  async finished(): Promise<void> {
    await Promise.all(this.#loops);
  }

  /** Stops the loops; resolves once each has returned (every call is bounded by the watch). */
  stop(): Promise<void> {
    this.#stopping = true;
    return this.finished();
  }

  /** Reads back every key and counter: what was acknowledged must be there, intact. */
  async verify(): Promise<void> {
    const entries = [...this.#entries];
    for (let i = 0; i < entries.length; i += 100) {
      await Promise.all(
        entries.slice(i, i + 100).map(async ([key, entry]) => {
          let value: Uint8Array | null;
          try {
            value = await entry.store.get(key);
          } catch {
            this.#verifyErrors++;
            return;
          }
          const verdict = judge(key, entry, value);
          if (verdict === 'torn') this.#torn++;
          else if (verdict !== 'ok') this.#lost(key, verdict);
        }),
      );
    }
    for (const counter of this.#counters) {
      try {
        const value = await counter.store.get(counter.key);
        const now = value === null ? 0 : Number(Buffer.from(value).toString());
        if (now < counter.acked) this.#lost(counter.key, 'increment', counter.acked - now);
      } catch {
        this.#verifyErrors++;
      }
    }
  }

  /** What the workload saw so far. */
  report(): WorkloadReport {
    return {
      calls: this.#calls,
      inFlightAtMark: this.#inFlightAtMark,
      settled: this.#calls - this.#inFlight,
      hung: this.#hung,
      failures: { ...this.#failures },
      slowestMs: Math.round(this.#slowestMs),
      unavailableMs:
        this.#markAt === undefined || this.#lastFailureAt === undefined
          ? 0
          : Math.max(0, Math.round(this.#lastFailureAt - this.#markAt)),
      staleReads: this.#staleReads,
      torn: this.#torn,
      lostWrites: this.#lostWrites,
      lostDeletes: this.#lostDeletes,
      lostIncrements: this.#lostIncrements,
      lostSlots: [...this.#lostSlots].sort((a, b) => a - b),
      failedCalls: [...this.#failedCalls],
      verifyErrors: this.#verifyErrors,
    };
  }

  #store(n: number): Store {
    const store = this.#stores[n % this.#stores.length];
    if (store === undefined) throw new Error('a workload needs at least one store');
    return store;
  }

  async #loop(loop: number): Promise<void> {
    const store = this.#store(loop);
    const counter: Counter = { store, key: this.#keyOf(loop, -1), acked: 0 };
    this.#counters.push(counter);
    const written: string[] = [];
    let nextDelete = 0;
    for (
      let n = 0;
      n < this.#callsPerLoop && !this.#stopping && performance.now() < this.#deadline;
      n++
    ) {
      let alive = true;
      const op = n % 5;
      if (op === 0 || op === 1) {
        const key = this.#keyOf(loop, n);
        written.push(key);
        alive = await this.#set(store, key);
      } else if (op === 2 && written.length > 0) {
        // One of the last 20 keys: recent writes are the ones a failover can lose.
        const key = written[written.length - 1 - (n % Math.min(written.length, 20))];
        if (key !== undefined) alive = await this.#get(key);
      } else if (op === 3) {
        alive = await this.#increment(counter);
      } else {
        // The oldest acknowledged key not yet deleted.
        let key = written[nextDelete];
        while (key !== undefined && this.#entries.get(key)?.set !== 'acked') {
          key = written[++nextDelete];
        }
        if (key !== undefined) {
          nextDelete++;
          alive = await this.#delete(key);
        }
      }
      if (!alive) return; // a hung call is still in flight: this loop cannot go on
      await sleep(PACE_MS);
    }
  }

  async #set(store: Store, key: string): Promise<boolean> {
    const entry: Entry = { store, set: 'uncertain' };
    this.#entries.set(key, entry);
    const result = await this.#watch(key, () => store.set(key, valueFor(key)));
    if (result.status === 'hung') return false;
    if (result.status === 'resolved') entry.set = 'acked';
    return true;
  }

  async #get(key: string): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return true;
    const result = await this.#watch(key, () => entry.store.get(key));
    if (result.status === 'hung') return false;
    if (result.status === 'rejected') return true;
    const verdict = judge(key, entry, result.value);
    if (verdict === 'torn') this.#torn++;
    else if (verdict !== 'ok') this.#staleReads++;
    return true;
  }

  async #increment(counter: Counter): Promise<boolean> {
    const result = await this.#watch(counter.key, () => counter.store.increment(counter.key));
    if (result.status === 'hung') return false;
    if (result.status === 'resolved') {
      // A result at or below the last acknowledged one: the server lost that many increments.
      if (result.value <= counter.acked) {
        this.#lost(counter.key, 'increment', counter.acked - result.value + 1);
      }
      counter.acked = result.value;
    }
    return true;
  }

  async #delete(key: string): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return true;
    const result = await this.#watch(key, () => entry.store.delete(key));
    if (result.status === 'hung') return false;
    // Resolving false: the acknowledged set was not there.
    if (result.status === 'resolved' && !result.value) this.#staleReads++;
    entry.deleted = result.status === 'resolved' ? 'acked' : 'uncertain';
    return true;
  }

  #lost(key: string, what: 'write' | 'delete' | 'increment', count = 1): void {
    if (what === 'write') this.#lostWrites += count;
    else if (what === 'delete') this.#lostDeletes += count;
    else this.#lostIncrements += count;
    if (this.#slotOf !== undefined) this.#lostSlots.add(this.#slotOf(key));
  }

  /** Runs `call` on `key` through `settleWithin`, counting its outcome and duration. */
  async #watch<T>(key: string, call: () => Promise<T>): Promise<Outcome<T>> {
    this.#calls++;
    this.#inFlight++;
    const started = performance.now();
    const result = await settleWithin(Promise.resolve().then(call));
    if (result.status === 'hung') {
      this.#hung++;
      return result;
    }
    this.#inFlight--;
    const ended = performance.now();
    this.#slowestMs = Math.max(this.#slowestMs, ended - started);
    if (result.status === 'rejected') {
      const code = StoreError.is(result.error) ? result.error.code : 'other';
      this.#failures[code] = (this.#failures[code] ?? 0) + 1;
      if (this.#markAt !== undefined) this.#lastFailureAt = ended;
      this.#failedCalls.push({
        slot: this.#slotOf?.(key),
        message: result.error instanceof Error ? result.error.message : String(result.error),
      });
    }
    return result;
  }
}

/** What reading `value` under `key` says of the writes the store acknowledged. */
function judge(
  key: string,
  entry: Entry,
  value: Uint8Array | null,
): 'ok' | 'torn' | 'write' | 'delete' {
  if (value === null) return entry.set === 'acked' && entry.deleted === undefined ? 'write' : 'ok';
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (!bytes.equals(Buffer.from(valueFor(key)))) return 'torn';
  return entry.deleted === 'acked' ? 'delete' : 'ok';
}

/** `call`'s outcome, or `hung` once it is `limitMs` old. */
async function settleWithin<T>(
  call: Promise<T>,
  limitMs = TIMEOUT_MS + MARGIN_MS,
): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'hung' }), limitMs);
  });
  const settled = call.then(
    (value): Outcome<T> => ({ status: 'resolved', value }),
    (error: unknown): Outcome<T> => ({ status: 'rejected', error }),
  );
  const result = await Promise.race([settled, hung]);
  clearTimeout(timer);
  return result;
}

/** Every key `keys()` yields, in order, or its rejection. */
async function listAll(iterator: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterator) keys.push(key);
  return keys;
}

/** Keys yielded more than once. */
function repeated(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeats: string[] = [];
  for (const key of keys) {
    if (seen.has(key)) repeats.push(key);
    seen.add(key);
  }
  return repeats;
}

/** A store whose calls never settle once they would reject with STORE_CONNECTION. */
function swallowingTimeouts(store: Store): Store {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) =>
          StoreError.is(error, 'STORE_CONNECTION') ? new Promise(() => {}) : Promise.reject(error),
        );
      };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The cluster, as its nodes describe themselves.

/** A master as CLUSTER NODES on itself describes it. */
interface Shard {
  readonly port: number;
  readonly id: string;
  /** The slots it serves, as inclusive [first, last] ranges. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Whether it has a slot MIGRATING or IMPORTING. */
  readonly moving: boolean;
}

function owns(shard: Shard, slot: number): boolean {
  return shard.ranges.some(([first, last]) => slot >= first && slot <= last);
}

function ownerOf(shards: readonly Shard[], slot: number): Shard {
  const owner = shards.find((shard) => owns(shard, slot));
  if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
  return owner;
}

/** The first `count` slots `shard` serves, ascending. */
function lowestSlots(shard: Shard, count: number): number[] {
  const slots: number[] = [];
  for (const [first, last] of [...shard.ranges].sort((a, b) => a[0] - b[0])) {
    for (let slot = first; slot <= last && slots.length < count; slot++) slots.push(slot);
  }
  return slots;
}

/** `{tag}` hash tags whose slots are in `slots`: keys carrying one stay in those slots. */
function tagsIn(slots: readonly number[], count: number): string[] {
  const wanted = new Set(slots);
  const tags: string[] = [];
  for (let i = 0; tags.length < count && i < 1_000_000; i++) {
    if (wanted.has(hashSlot(Buffer.from(`t${i}`)))) tags.push(`t${i}`);
  }
  return tags;
}

/** The live nodes of a test cluster, each through one plain connection. */
class ClusterNodes<Client extends KitClient> {
  readonly #backend: Backend<Client>;
  readonly #cluster: TestCluster;
  readonly #clients = new Map<number, Client>();
  readonly #dead = new Set<number>();

  constructor(backend: Backend<Client>, cluster: TestCluster) {
    this.#backend = backend;
    this.#cluster = cluster;
  }

  /** The plain connection to the node at `port`. */
  client(port: number): Client {
    let client = this.#clients.get(port);
    if (client === undefined) {
      client = this.#backend.connect(`redis://127.0.0.1:${port}`);
      this.#clients.set(port, client);
    }
    return client;
  }

  /** Every member not killed by a test. */
  live(): TestMember[] {
    return this.#cluster.members.filter((member) => !this.#dead.has(member.port));
  }

  /** `INFO section` of the node at `port`. */
  async info(port: number, section: string): Promise<string> {
    return text(await raw(this.client(port), 'INFO', section));
  }

  /** The live masters that serve slots, as they describe themselves. */
  async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    for (const member of this.live()) {
      const info = await this.info(member.port, 'replication');
      if (infoField(info, 'role') !== 'master') continue;
      const shard = parseShard(
        member.port,
        text(await raw(this.client(member.port), 'CLUSTER', 'NODES')),
      );
      if (shard.ranges.length > 0) shards.push(shard);
    }
    return shards;
  }

  /** Startup nodes for a new cluster client: the live masters. */
  async startupNodes(): Promise<NodeAddress[]> {
    return (await this.shards()).map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** A master with a replica that is in sync, and that replica. */
  async masterWithReplica(): Promise<{ master: TestMember; replica: TestMember }> {
    for (const replica of this.live()) {
      const info = await this.info(replica.port, 'replication');
      if (infoField(info, 'role') !== 'slave' || infoField(info, 'master_link_status') !== 'up') {
        continue;
      }
      const port = Number(infoField(info, 'master_port'));
      const master = this.live().find((member) => member.port === port);
      if (master !== undefined) return { master, replica };
    }
    throw new Error('no live master has a live replica any more');
  }

  /** Resolves once every live replica has applied all its master has written so far. */
  async waitForReplication(): Promise<void> {
    for (const replica of this.live()) {
      const info = await this.info(replica.port, 'replication');
      if (infoField(info, 'role') !== 'slave' || infoField(info, 'master_link_status') !== 'up') {
        continue;
      }
      const master = Number(infoField(info, 'master_port'));
      const target = Number(
        infoField(await this.info(master, 'replication'), 'master_repl_offset'),
      );
      await waitUntil(
        async () =>
          Number(infoField(await this.info(replica.port, 'replication'), 'slave_repl_offset')) >=
          target,
        `replica ${replica.port} catching up with ${master}`,
      );
    }
  }

  /** SIGKILLs `member` (its plain connection closed first, so it does not reconnect). */
  async kill(member: TestMember): Promise<void> {
    this.#dead.add(member.port);
    this.#clients.get(member.port)?.disconnect();
    this.#clients.delete(member.port);
    await member.kill();
  }

  /** Resolves once `replica` is a master and the cluster, seen from it, is whole again. */
  async waitForPromotion(replica: TestMember): Promise<void> {
    await waitUntil(async () => {
      const role = infoField(await this.info(replica.port, 'replication'), 'role');
      const state = text(await raw(this.client(replica.port), 'CLUSTER', 'INFO'));
      return role === 'master' && state.includes('cluster_state:ok');
    }, `promotion of ${replica.port}`);
  }

  /**
   * Moves `slot` from `from` to `to` as `redis-cli --cluster reshard` does: IMPORTING on the
   * target, MIGRATING on the source, MIGRATE its keys in batches, then NODE on every master.
   */
  async migrateSlot(slot: number, from: Shard, to: Shard): Promise<number> {
    const moved = await this.moveKeys(slot, from, to);
    await this.handOver(slot, from, to);
    return moved;
  }

  /**
   * The first half of a migration: `slot` MIGRATING on `from`, IMPORTING on `to`, and its
   * keys MIGRATEd; `from` still owns the slot until `handOver`.
   */
  async moveKeys(slot: number, from: Shard, to: Shard): Promise<number> {
    const source = this.client(from.port);
    await raw(this.client(to.port), 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
    await raw(source, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
    let moved = 0;
    for (;;) {
      const keys = (await raw(source, 'CLUSTER', 'GETKEYSINSLOT', slot, 100)) as Buffer[];
      if (keys.length === 0) return moved;
      await raw(source, 'MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
      moved += keys.length;
    }
  }

  /** The second half: every master learns that `to` owns `slot` now. */
  async handOver(slot: number, from: Shard, to: Shard): Promise<void> {
    const others = (await this.shards()).filter((s) => s.port !== to.port && s.port !== from.port);
    for (const shard of [to, from, ...others]) {
      await raw(this.client(shard.port), 'CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
    }
  }

  /** The keys matching `prefix*` on every live master: what a deleteAll must leave at 0. */
  async countKeys(prefix: Buffer): Promise<number> {
    let count = 0;
    for (const shard of await this.shards()) {
      count += await scanCount(this.client(shard.port), matchPattern(prefix));
    }
    return count;
  }

  /** MOVED and ASK replies the masters sent since `resetStats()` (INFO errorstats). */
  async redirections(): Promise<number> {
    let count = 0;
    for (const shard of await this.shards()) {
      const info = await this.info(shard.port, 'errorstats');
      for (const error of ['MOVED', 'ASK']) {
        count += Number(/count=(\d+)/.exec(infoField(info, `errorstat_${error}`) ?? '')?.[1] ?? 0);
      }
    }
    return count;
  }

  /** `CONFIG RESETSTAT` on every live master (zeroes its errorstats). */
  async resetStats(): Promise<void> {
    for (const shard of await this.shards()) {
      await raw(this.client(shard.port), 'CONFIG', 'RESETSTAT');
    }
  }

  /** Drops every plain connection. */
  close(): void {
    for (const client of this.#clients.values()) client.disconnect();
    this.#clients.clear();
  }
}

/** A master's own line of CLUSTER NODES: its id, its slots, and whether any is moving. */
function parseShard(port: number, nodes: string): Shard {
  const line = nodes
    .split('\n')
    .find((candidate) => candidate.split(' ')[2]?.split(',').includes('myself'));
  if (line === undefined) throw new Error(`no "myself" line in CLUSTER NODES of ${port}`);
  const [id = '', , , , , , , , ...slots] = line.trim().split(' ');
  const ranges = slots
    .filter((slot) => !slot.startsWith('['))
    .map((slot) => {
      const [first = '', last = first] = slot.split('-');
      return [Number(first), Number(last)] as const;
    });
  return { port, id, ranges, moving: slots.some((slot) => slot.startsWith('[')) };
}

/**
 * `client` as a store sees it, except that each page the store reads from a master — a SCAN,
 * or a call of deleteAll's page script (the only script without keys: `numkeys` 0, the cursor
 * after it) — goes through `scan(port, cursor, send)`, so a test can act between a node's
 * pages. `send` resolves to the next cursor.
 */
function interceptScans<Client extends KitClient>(
  client: Client,
  scan: (port: number, cursor: string, send: () => Promise<string>) => Promise<string>,
): Client {
  const bound = (target: object, property: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const node = (target: RedisLikeClient): RedisLikeClient => {
    const port = Number(target.options?.port);
    const page =
      (method: 'evalshaBuffer' | 'evalBuffer') =>
      (...args: never[]) => {
        const call = target[method];
        if (call === undefined) throw new Error(`no ${method}`);
        if (String(args[1]) !== '0') return call.apply(target, args);
        return scan(port, String(args[2]), async () => String(await call.apply(target, args)));
      };
    return new Proxy(target, {
      get: (_, property) => {
        // Without sendCommand the store sends every command through the named methods.
        if (property === 'sendCommand') return undefined;
        if (property === 'evalshaBuffer' || property === 'evalBuffer') return page(property);
        if (property !== 'scanBuffer') return bound(target, property);
        return async (...args: never[]) => {
          let reply: unknown;
          await scan(port, String(args[0]), async () => {
            reply = await target.scanBuffer(...args);
            return String((reply as unknown[])[0]);
          });
          return reply;
        };
      },
    });
  };
  return new Proxy(client, {
    get: (_, property) =>
      property === 'nodes'
        ? (role: 'master') => (client.nodes?.(role) ?? []).map(node)
        : bound(client, property),
  });
}

/** A promise and its resolver. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

// ---------------------------------------------------------------------------------------------
// The tests.

/** Conformance, slot migration and failover on a replicated cluster; Sentinel failover. */
export async function defineTopologyTests<Client extends KitClient>(
  backend: TopologyBackend<Client>,
): Promise<void> {
  describeWorkloadChecks();
  const [cluster, sentinel] = await Promise.all([
    startTestCluster(backend.kind, { masters: 3, replicas: 1 }),
    startTestSentinel(backend.kind, { replicas: 2, sentinels: 3 }),
  ]);
  if (cluster === undefined) noServer(`${backend.name} on a replicated cluster`);
  else describeReplicatedCluster(backend, cluster);
  if (sentinel === undefined) noServer(`${backend.name} through Sentinel`);
  else await describeSentinel(backend, sentinel);
}

/**
 * A store that acknowledges every 7th set without writing it, tears every 5th value it reads,
 * and resets its counters every 4th increment: a workload must count all three.
 */
function faulty(store: Store): Store {
  let sets = 0;
  let gets = 0;
  let increments = 0;
  const overrides: Partial<Store> = {
    set: async (key, value, options) => {
      if (++sets % 7 !== 0) await store.set(key, value, options);
    },
    get: async (key, options) => {
      const value = await store.get(key, options);
      return value !== null && ++gets % 5 === 0 ? value.subarray(1) : value;
    },
    increment: async (key, options) => {
      if (++increments % 4 === 0) await store.delete(key);
      return store.increment(key, options);
    },
  };
  return new Proxy(store, {
    get: (target, property) =>
      property in overrides
        ? overrides[property as keyof Store]
        : Reflect.get(target, property, target),
  });
}

function describeWorkloadChecks(): void {
  describe('the workload checks (no server)', () => {
    it('count the writes a store drops, the values it tears and the increments it loses (the checks can fail)', async () => {
      const store = new MemoryStore();
      const load = new Workload({ stores: [faulty(store)], loops: 2, callsPerLoop: 200 });
      load.start();
      await load.finished();
      await load.verify();
      const report = load.report();
      expect(report.lostWrites).toBeGreaterThan(0);
      expect(report.staleReads).toBeGreaterThan(0);
      expect(report.torn).toBeGreaterThan(0);
      expect(report.lostIncrements).toBeGreaterThan(0);
      await store.close();
    });

    it('find nothing wrong on a store that keeps its word', async () => {
      const store = new MemoryStore();
      const load = new Workload({ stores: [store], loops: 2, callsPerLoop: 200 });
      load.start();
      await load.finished();
      await load.verify();
      const report = load.report();
      expect(report.calls).toBe(400);
      expect(report.failures).toEqual({});
      expect([report.hung, report.staleReads, report.torn, lostTotal(report)]).toEqual([
        0, 0, 0, 0,
      ]);
      await store.close();
    });
  });
}

/**
 * The conformance suite on stores borrowing `client`, each in a fresh root namespace;
 * `handle(namespace)` names the same data for the suite's child processes.
 */
function conformanceOn<Client extends KitClient>(
  backend: TopologyBackend<Client>,
  where: string,
  client: Client,
  handle: (namespace: string) => StoreHandle,
): void {
  const suite = `topology-${uid()}`;
  let stores = 0;
  const fresh = (): string => `${suite}-${stores++}`;
  runStoreConformance(where, () => backend.createStore({ client, namespace: fresh() }), {
    timeoutMs: CONFORMANCE_TIMEOUT_MS,
    shared: { module: backend.sharedModule, newHandle: () => handle(fresh()) },
  });
}

function describeReplicatedCluster<Client extends KitClient>(
  backend: TopologyBackend<Client>,
  cluster: TestCluster,
): void {
  const nodes = new ClusterNodes(backend, cluster);
  const client = backend.connectCluster(cluster.nodes);
  client.on('error', () => {}); // the tests kill masters under it; its calls say what failed
  afterAll(async () => {
    client.disconnect(); // some of its nodes are dead: QUIT would wait for them
    nodes.close();
    await cluster.stop();
  }, 30_000);
  const where = `${backend.name} (cluster of 3 masters and 3 replicas, ${backend.kind})`;
  const log = (scenario: string, data: object): void => printMeasurement(backend, scenario, data);
  // A store that owns its cluster client, as users build it; a short timeout by default.
  const clusterStore = async (namespace: string, commandTimeoutMs = TIMEOUT_MS): Promise<Store> => {
    const store = backend.createStore({
      cluster: { nodes: await nodes.startupNodes() },
      namespace,
      commandTimeoutMs,
    });
    await store.set('warm-up', 'x'); // connected, slots known
    return store;
  };
  const slotOf =
    (namespace: string) =>
    (key: string): number =>
      hashSlot(entryKey(rootPrefix(namespace, false), key));

  conformanceOn(backend, where, client, (namespace) => ({ nodes: cluster.nodes, namespace }));

  describe(`${where}: slot migration`, () => {
    it('serves set/get/increment/delete under load through a reshard: MOVED and ASK followed, no error, nothing lost', async () => {
      const shards = await nodes.shards();
      const [from, to] = shards;
      if (from === undefined || to === undefined) throw new Error('fewer than 2 masters');
      // redis-cli moves the source's lowest slots first: the load's keys live in those.
      const moving = lowestSlots(from, RESHARD_SLOTS);
      const tags = tagsIn(moving, 16);
      const namespace = `reshard-${uid()}`;
      // The default timeout: no call may fail, and this machine's scheduling is noisy.
      const store = await clusterStore(namespace, 5000);
      const keyOf = (loop: number, n: number): string =>
        `{${tags[(loop * 7 + n + tags.length) % tags.length]}}${loop}.${n}`;
      try {
        // Keys already in the moving slots, so the migration has work while the load runs.
        for (let i = 0; i < 3000; i += 500) {
          await Promise.all(
            Array.from({ length: 500 }, (_, j) => store.set(keyOf(99, i + j), 'filler')),
          );
        }
        await nodes.resetStats();
        const load = new Workload({ stores: [store], keyOf, slotOf: slotOf(namespace) });
        load.start();
        await sleep(300);
        load.mark();
        const started = performance.now();
        await run(
          `${backend.kind}-cli`,
          [
            '--cluster',
            'reshard',
            `127.0.0.1:${from.port}`,
            '--cluster-from',
            from.id,
            '--cluster-to',
            to.id,
            '--cluster-slots',
            String(RESHARD_SLOTS),
            '--cluster-yes',
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        const reshardMs = Math.round(performance.now() - started);
        await sleep(300);
        await load.stop();
        await load.verify();
        const report = load.report();
        const redirections = await nodes.redirections();
        log('reshard under load', { slots: RESHARD_SLOTS, reshardMs, redirections, ...report });
        const after = await nodes.shards();
        expect(moving.every((slot) => ownerOf(after, slot).id === to.id)).toBe(true);
        expect(redirections).toBeGreaterThan(0); // the load really was redirected
        expect(report.hung).toBe(0);
        expect(report.failures).toEqual({});
        expect([report.torn, report.staleReads, lostTotal(report)]).toEqual([0, 0, 0]);
        expect(report.verifyErrors).toBe(0);
      } finally {
        await store.deleteAll();
        await store.close();
      }
    }, 120_000);

    for (const handOver of [true, false]) {
      const when = handOver
        ? 'when a slot moves mid-iteration'
        : 'while a slot’s keys move to a master already scanned (the slot not yet handed over)';
      it(`keys() yields each key exactly once, or rejects, ${when}`, async () => {
        const namespace = `keys-move-${uid()}`;
        const store = await clusterStore(namespace);
        const keys = Array.from({ length: 600 }, (_, i) => `k${i}`);
        let pending: (() => Promise<void>) | undefined; // the hand-over, if not done yet
        try {
          await Promise.all(keys.map((key) => store.set(key, 'v')));
          const iterator = store.keys()[Symbol.asyncIterator]();
          const yielded: string[] = [];
          let outcome: 'resolved' | 'rejected' = 'resolved';
          let moved = 0;
          try {
            const first = await iterator.next();
            if (first.done === true) throw new Error('keys() yielded nothing');
            yielded.push(first.value);
            // The first key's master has been scanned (at least one page) and the others
            // not yet: with the iteration paused, move a slot between them.
            const shards = await nodes.shards();
            const scanned = ownerOf(shards, slotOf(namespace)(first.value));
            const later = shards.find((shard) => shard !== scanned);
            if (later === undefined) throw new Error('fewer than 2 masters');
            // Handed over: the first key's slot moves to a master scanned later. Not handed
            // over: a slot of a master scanned later moves its keys to the scanned one.
            const [slot, from, to] = handOver
              ? [slotOf(namespace)(first.value), scanned, later]
              : [keys.map(slotOf(namespace)).find((s) => owns(later, s)) ?? -1, later, scanned];
            moved = await nodes.moveKeys(slot, from, to);
            pending = () => nodes.handOver(slot, from, to);
            if (handOver) {
              await pending();
              pending = undefined;
            }
            for (
              let next = await iterator.next();
              next.done !== true;
              next = await iterator.next()
            ) {
              yielded.push(next.value);
            }
          } catch (error) {
            if (!StoreError.is(error)) throw error;
            outcome = 'rejected';
          }
          log(`keys() ${when}`, { outcome, moved, yielded: yielded.length });
          expect(moved).toBeGreaterThan(0);
          expect(repeated(yielded)).toEqual([]);
          if (outcome === 'resolved') {
            expect(yielded.sort()).toEqual([...keys, 'warm-up'].sort());
          }
        } finally {
          await pending?.();
          await store.deleteAll();
          await store.close();
        }
      }, 60_000);
    }

    for (const handOver of [true, false]) {
      const when = handOver
        ? 'when a slot moves between two masters’ scans'
        : 'when a slot’s keys move between two masters’ scans (the slot not yet handed over)';
      it(`deleteAll() leaves no key of the namespace on any master, or rejects, ${when}`, async () => {
        const namespace = `delete-move-${uid()}`;
        const prefix = rootPrefix(namespace, false);
        const shards = await nodes.shards();
        const keys = Array.from({ length: 900 }, (_, i) => `k${i}`);
        const [scannedFirst, scannedLater] = shards;
        if (scannedFirst === undefined || scannedLater === undefined) throw new Error('2 masters');
        // A slot of `scannedLater` holding keys of the namespace: its keys move to
        // `scannedFirst` after that master's SCAN has finished and before `scannedLater`'s
        // begins.
        const slot = keys.map(slotOf(namespace)).find((candidate) => owns(scannedLater, candidate));
        if (slot === undefined) throw new Error('no key in the second master');
        const firstDone = signal();
        let migrating = false;
        let moved = 0;
        const hooked = interceptScans(client, async (port, cursor, send) => {
          if (port === scannedLater.port && cursor === '0' && !migrating) {
            migrating = true;
            // Ordered if the store scans masters in parallel; after 2 s, in any case.
            await Promise.race([firstDone.promise, sleep(2000)]);
            moved = await nodes.moveKeys(slot, scannedLater, scannedFirst);
            if (handOver) await nodes.handOver(slot, scannedLater, scannedFirst);
          }
          const next = await send();
          if (port === scannedFirst.port && next === '0') firstDone.resolve();
          return next;
        });
        const store = backend.createStore({ client: hooked, namespace });
        try {
          await Promise.all(keys.map((key) => store.set(key, 'v')));
          await Promise.all(keys.map((key) => store.withNamespace('child').set(key, 'v')));
          const outcome = await settleWithin(store.deleteAll(), 30_000);
          const left = await nodes.countKeys(prefix);
          log(`deleteAll() ${when}`, { outcome: outcome.status, moved, left });
          expect(moved).toBeGreaterThan(0);
          expect(outcome.status).not.toBe('hung');
          if (outcome.status === 'rejected') expect(StoreError.is(outcome.error)).toBe(true);
          else expect(left).toBe(0);
        } finally {
          if (migrating && !handOver) await nodes.handOver(slot, scannedLater, scannedFirst);
          await backend.createStore({ client, namespace }).deleteAll();
        }
      }, 60_000);
    }
  });

  describe(`${where}: deleteAll() on masters only`, () => {
    it('has its page script refused by a replica (READONLY), deleting nothing', async () => {
      const namespace = `replica-${uid()}`;
      const store = await clusterStore(namespace);
      const pattern = matchPattern(rootPrefix(namespace, false));
      try {
        await Promise.all(Array.from({ length: 600 }, (_, i) => store.set(`k${i}`, 'v')));
        await nodes.waitForReplication();
        const { master, replica } = await nodes.masterWithReplica();
        const onReplica = nodes.client(replica.port);
        const held = await scanCount(onReplica, pattern);
        expect(held).toBeGreaterThan(0);
        // The script itself, sent to the replica: refused before it runs.
        const refused = await raw(
          onReplica,
          'EVAL',
          DELETE_PAGE_SCRIPT.text,
          0,
          '0',
          pattern,
          1000,
          '1',
        ).catch((error: unknown) => error);
        expect(String(refused)).toMatch(/READONLY/);
        // A store on a plain connection to the replica: STORE_CONNECTION, never the fallback.
        const direct = backend.createStore({ client: onReplica, namespace });
        await expect(rejectionCode(direct.deleteAll())).resolves.toBe('STORE_CONNECTION');
        await nodes.waitForReplication();
        expect(await scanCount(onReplica, pattern)).toBe(held);
        expect(await scanCount(nodes.client(master.port), pattern)).toBe(held);
      } finally {
        await store.deleteAll();
        await store.close();
      }
    }, 60_000);
  });

  describe(`${where}: a master killed (SIGKILL) under load`, () => {
    let report: WorkloadReport;
    let control: WorkloadReport;
    let victimSlots: Shard;
    let recovered = false;
    beforeAll(async () => {
      const namespace = `failover-${uid()}`;
      const store = await clusterStore(namespace);
      try {
        const { master, replica } = await nodes.masterWithReplica();
        const victim = (await nodes.shards()).find((shard) => shard.port === master.port);
        if (victim === undefined) throw new Error(`${master.port} serves no slot`);
        victimSlots = victim;
        const load = new Workload({ stores: [store], slotOf: slotOf(namespace) });
        // The same store behind a wrapper that turns STORE_CONNECTION into a call that never
        // settles: the check must count its hangs, or it could not catch a store that hangs.
        const broken = new Workload({
          stores: [swallowingTimeouts(store)],
          keyOf: (loop, n) => `broken-${loop}.${n}`,
          loops: 2,
        });
        load.start();
        broken.start();
        await sleep(1000);
        load.mark();
        broken.mark();
        const burst = load.burst(BURST);
        await nodes.kill(master);
        await burst;
        await nodes.waitForPromotion(replica);
        // The same store object serves every slot again, without being rebuilt.
        await untilResolves(() => store.set('after-failover', 'y'), 'the store serving again');
        recovered = true;
        await sleep(1000);
        await Promise.all([load.stop(), broken.stop()]);
        await load.verify();
        report = load.report();
        control = broken.report();
        const elsewhere = report.failedCalls.filter(
          ({ slot }) => slot !== undefined && !owns(victim, slot),
        );
        log('cluster master SIGKILLed under load', {
          victim: master.port,
          failedOutsideVictim: elsewhere.length,
          outsideVictimErrors: [...new Set(elsewhere.map(({ message }) => message))],
          ...report,
        });
        log('the same load on a store that swallows its timeouts', control);
      } finally {
        await store.close();
      }
    }, 120_000);

    it('settles every call within commandTimeoutMs plus a margin: none hangs', () => {
      expect(report.hung).toBe(0);
      expect(report.settled).toBe(report.calls);
      expect(report.slowestMs).toBeLessThanOrEqual(TIMEOUT_MS + MARGIN_MS);
    });

    it('rejects what it cannot serve with STORE_CONNECTION and nothing else', () => {
      expect(Object.keys(report.failures).filter((code) => code !== 'STORE_CONNECTION')).toEqual(
        [],
      );
    });

    it('serves every slot again through the same store once the replica is promoted', () => {
      expect(recovered).toBe(true);
      expect(report.verifyErrors).toBe(0);
    });

    it('tears no value and loses acknowledged writes only in the killed master’s slots', () => {
      expect(report.torn).toBe(0);
      expect(report.lostSlots.filter((slot) => !owns(victimSlots, slot))).toEqual([]);
    });

    it('counts the hangs of a store that swallows its timeouts (the check can fail)', () => {
      expect(control.hung).toBeGreaterThan(0);
    });
  });

  describe(`${where}: deleteAll() and keys() during a failover`, () => {
    it('either removes every key of the namespace from every master or rejects; keys() yields each key once or rejects', async () => {
      const namespace = `fo-listing-${uid()}`;
      const root = await clusterStore(namespace);
      const prefix = rootPrefix(namespace, false);
      const attempts = 10;
      const targets = Array.from({ length: attempts }, (_, i) => root.withNamespace(`d${i}`));
      const listed = root.withNamespace('listed');
      const keys = Array.from({ length: 600 }, (_, i) => `k${i}`);
      try {
        for (const store of [...targets, listed]) {
          await Promise.all(keys.map((key) => store.set(key, 'v')));
        }
        await nodes.waitForReplication(); // what keys() must yield survives the failover
        const { master, replica } = await nodes.masterWithReplica();
        await nodes.kill(master);
        const killedAt = performance.now();
        // deleteAll of one namespace and keys() of another every 600 ms through the failover.
        const outcomes = await Promise.all(
          targets.map(async (store, i) => {
            await sleep(i * 600);
            const at = Math.round(performance.now() - killedAt);
            const [deleted, listing] = await Promise.all([
              settleWithin(store.deleteAll()),
              settleWithin(listAll(listed.keys())),
            ]);
            return { at, deleted, listing };
          }),
        );
        await nodes.waitForPromotion(replica);
        const rows = [];
        for (const [i, { at, deleted, listing }] of outcomes.entries()) {
          rows.push({
            at,
            deleteAll: describeOutcome(deleted, () => 'resolved'),
            left: await nodes.countKeys(childPrefix(prefix, `d${i}`)),
            keys: describeOutcome(
              listing,
              (yielded) => `${yielded.length} yielded, ${repeated(yielded).length} repeated`,
            ),
          });
        }
        log('deleteAll()/keys() during a failover (ms after the SIGKILL)', rows);
        for (const [i, { deleted, listing }] of outcomes.entries()) {
          const row = `attempt ${i}: ${JSON.stringify(rows[i])}`;
          expect([deleted.status, listing.status], row).not.toContain('hung');
          if (deleted.status === 'resolved') expect(rows[i]?.left, row).toBe(0);
          if (listing.status === 'resolved') expect(listing.value.sort(), row).toEqual(keys.sort());
          for (const outcome of [deleted, listing]) {
            if (outcome.status === 'rejected') expect(StoreError.is(outcome.error), row).toBe(true);
          }
        }
        // Once the replica is promoted, the same store empties everything.
        await untilResolves(() => root.deleteAll(), 'deleteAll() after the failover');
        expect(await nodes.countKeys(prefix)).toBe(0);
      } finally {
        await root.close();
      }
    }, 120_000);

    it('finds the keys a deleteAll() that skips one master leaves behind (the check can fail)', async () => {
      const namespace = `skip-${uid()}`;
      const store = await clusterStore(namespace);
      const prefix = rootPrefix(namespace, false);
      try {
        await Promise.all(Array.from({ length: 300 }, (_, i) => store.set(`k${i}`, 'v')));
        const [skipped] = await nodes.shards();
        if (skipped === undefined) throw new Error('no master');
        for await (const key of store.keys()) {
          if (!owns(skipped, hashSlot(entryKey(prefix, key)))) await store.delete(key);
        }
        expect(await nodes.countKeys(prefix)).toBeGreaterThan(0);
      } finally {
        await store.deleteAll();
        await store.close();
      }
    }, 60_000);
  });
}

/** Prints a measurement, one line of JSON per scenario (without the list of failed calls). */
function printMeasurement(backend: { name: string }, scenario: string, data: object): void {
  const line = JSON.stringify(data, (key, value: unknown) =>
    key === 'failedCalls' ? undefined : value,
  );
  console.log(`[${backend.name}] ${scenario}: ${line}`);
}

/** An outcome in words: `hung`, the value described, or the rejection's code and message. */
function describeOutcome<T>(outcome: Outcome<T>, describeValue: (value: T) => string): string {
  if (outcome.status === 'hung') return 'hung';
  if (outcome.status === 'resolved') return describeValue(outcome.value);
  const { error } = outcome;
  return StoreError.is(error)
    ? `${error.code}: ${error.message}`
    : `not a StoreError: ${String(error)}`;
}

async function describeSentinel<Client extends KitClient>(
  backend: TopologyBackend<Client>,
  setup: TestSentinel,
): Promise<void> {
  const where = `${backend.name} (Sentinel: a master, 2 replicas, 3 Sentinels, ${backend.kind})`;
  const firstMaster = await sentinelMaster(setup.sentinels[0]?.port ?? 0);
  const client = backend.connectSentinel(setup.sentinels, setup.name);
  client.on('error', () => {}); // the failover test kills its master; its calls say what failed
  afterAll(async () => {
    client.disconnect();
    await setup.stop();
  }, 30_000);
  // Child processes open the same data on the master directly: the shared module takes a URL,
  // not Sentinels. The suite runs before the failover below, so that is the master.
  conformanceOn(backend, where, client, (namespace) => ({
    url: `redis://${firstMaster}`,
    namespace,
  }));

  describe(`${where}: the master killed (SIGKILL) under load`, () => {
    it('follows the failover with the same store and its child namespace; no call hangs', async () => {
      const namespace = `sentinel-failover-${uid()}`;
      const store = backend.createSentinelStore({
        sentinels: setup.sentinels,
        name: setup.name,
        namespace,
        commandTimeoutMs: TIMEOUT_MS,
      });
      const child = store.withNamespace('child');
      const master = setup.members.find((member) => member.role === 'master');
      if (master === undefined) throw new Error('no master');
      try {
        await store.set('warm-up', 'x');
        const load = new Workload({ stores: [store, child] });
        load.start();
        await sleep(1000);
        load.mark();
        const burst = load.burst(BURST);
        await master.kill();
        await burst;
        let promoted = firstMaster;
        await waitUntil(async () => {
          promoted = await sentinelMaster(setup.sentinels[0]?.port ?? 0);
          return promoted !== firstMaster;
        }, 'the Sentinels electing a new master');
        for (const target of [store, child]) {
          await untilResolves(() => target.set('after-failover', 'y'), 'the store serving again');
        }
        await sleep(1000);
        await load.stop();
        await load.verify();
        const report = load.report();
        printMeasurement(backend, 'Sentinel master SIGKILLed under load', {
          from: firstMaster,
          to: promoted,
          ...report,
        });
        // Both stores now write to the new master.
        const direct = backend.connect(`redis://${promoted}`);
        const root = rootPrefix(namespace, false);
        try {
          for (const prefix of [root, childPrefix(root, 'child')]) {
            const written = await raw(direct, 'GET', entryKey(prefix, 'after-failover'));
            expect(written).toEqual(Buffer.from('y'));
          }
        } finally {
          direct.disconnect();
        }
        expect(report.hung).toBe(0);
        expect(report.settled).toBe(report.calls);
        expect(Object.keys(report.failures).filter((code) => code !== 'STORE_CONNECTION')).toEqual(
          [],
        );
        expect(report.verifyErrors).toBe(0);
        expect(report.torn).toBe(0);
      } finally {
        await store.close();
      }
    }, 120_000);
  });
}
