import {
  addToCounter,
  assertNamespace,
  BaseStore,
  copyBytes,
  describe,
  parseCounter,
  readOptions,
  type StoreCapabilities,
  StoreError,
} from '@stores/core';
import type { ClientFactory, CommandArgument, CommandMaker, RedisLikeClient } from './client.js';
import { sendToSlot } from './cluster-routing.js';
import { address, type ConnectionHealth, healthOf } from './connection.js';
import { CommandTimer, isReplyError, withTimeout } from './errors.js';
import { hashSlot } from './hash-slot.js';
import { childPrefix, entryKey, matchPattern, rootPrefix, SEGMENT_END } from './key-layout.js';
import { outgoingCopy } from './outgoing.js';
import { DELETE_PAGE_SCRIPT, INCREMENT_SCRIPT, RENEW_SCRIPT, type Script } from './scripts.js';
import { uniqueKeys } from './unique-keys.js';
import { checkDb, checkUrl } from './url.js';
import { coalesceWrites } from './write-coalescing.js';

/** Options shared by `RedisStore` and `ValkeyStore`; give at most one of url/cluster/client. */
export interface RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions> {
  /**
   * Connection URL, `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS; ValkeyStore
   * also takes `valkey://`, `valkeys://`); checked at construction. The store creates and owns
   * the client.
   */
  url?: string;
  /** Options of the client the store creates (timeouts, TLS, Sentinel, ...); override defaults. */
  clientOptions?: ClientOptions;
  /** Startup nodes and options of a cluster client the store creates and owns. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /** An existing `Redis` or `Cluster` client; borrowed (left open) unless `closeClient`. */
  client?: Client;
  /** With `client`: close it when the store is closed. Default `false`. */
  closeClient?: boolean;
  /** Prefix of every key (`N:k`); `null` stores keys as they are. Default `'STORES'`. */
  namespace?: string | null;
  /** Write `{N}:k` so the whole namespace tree lives in one cluster slot. Default `false`. */
  hashTag?: boolean;
  /** Every command rejects with `STORE_CONNECTION` after this many ms. Default `5000`. */
  commandTimeoutMs?: number;
}

const OPTION_NAMES = [
  'url',
  'clientOptions',
  'cluster',
  'client',
  'closeClient',
  'namespace',
  'hashTag',
  'commandTimeoutMs',
] as const;

/** The client methods the store sends commands through. */
type Command =
  | 'set'
  | 'getBuffer'
  | 'unlink'
  | 'exists'
  | 'pttl'
  | 'pexpire'
  | 'ping'
  | 'cluster'
  | 'evalshaBuffer'
  | 'evalBuffer'
  | 'scanBuffer';

/**
 * Each method's command name, whether its bulk replies come as Buffers, and where among the
 * arguments its (first) key is, if it has one; a script's key follows its number of keys.
 */
const COMMANDS: Readonly<Record<Command, readonly [string, boolean, number | undefined]>> = {
  set: ['set', false, 0],
  getBuffer: ['get', true, 0],
  unlink: ['unlink', false, 0],
  exists: ['exists', false, 0],
  pttl: ['pttl', false, 0],
  pexpire: ['pexpire', false, 0],
  ping: ['ping', false, undefined],
  cluster: ['cluster', false, undefined],
  evalshaBuffer: ['evalsha', true, 2],
  evalBuffer: ['eval', true, 2],
  scanBuffer: ['scan', true, undefined],
};

/** What a root store and its namespaces share. */
interface Shared {
  readonly client: RedisLikeClient;
  readonly owned: boolean;
  readonly timeoutMs: number;
  readonly timer: CommandTimer;
  readonly health: ConnectionHealth;
  /** The client library's commands, when the client takes them (see `#send`). */
  readonly commands: CommandMaker | undefined;
  /** A failure of a command as the StoreError a call rejects with. */
  readonly toStoreError: (error: unknown) => StoreError;
  /**
   * Whether a renew may run as a transaction (see `#renewInTransaction`): only on a standalone
   * client the store created, which no one else's commands share (a lent client's application
   * may be between its own WATCH and EXEC, which our EXEC would end). Turned off for good when
   * the server refuses the transaction's commands (Redis before 7.0 has no `PEXPIRE ... XX`).
   */
  transactions: boolean;
  /** The last value a renew read was large: the next renew runs as a transaction, if it may. */
  renewedLarge: boolean;
}

/** The masters of a cluster a SCAN visits, by node ID, and which of them owns each slot. */
interface ClusterPlan {
  readonly masters: readonly { readonly node: RedisLikeClient; readonly id: string }[];
  /** The node ID of the master of each slot, as every master saw it when the plan was made. */
  readonly owners: readonly string[];
}

const NAMESPACE_INIT: unique symbol = Symbol('@stores/redis-common.namespace');

/** @internal How a store builds a child of its own class; not constructible outside. */
export interface NamespaceInit {
  readonly [NAMESPACE_INIT]: { readonly shared: Shared; readonly prefix: Buffer };
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  persistent: true,
  shared: true,
  nativeExpiry: true,
  deleteExpired: false,
});

const DEFAULT_NAMESPACE = 'STORES';
// A renew after one that read a value at least this long runs as a transaction, not the script:
// the script moves the value through Lua, whose cost on the server grows with the value; the
// transaction's four commands cost the client more than the script's one. RedisStore on Redis 7
// at 64 in flight (`ab-redis.ts`, script vs transaction): 4 KB 90k vs 74k renews/s, 6 KB 55k vs
// 69k, 8 KB 43k vs 56k, 10 KB 39k vs 52k (a plain `get` of 10 KB: 80-85k).
const LARGE_VALUE = 6144;
/** What `#renewInTransaction` resolves when the server refused it: use the script. */
const RETRY: unique symbol = Symbol('retry');
// An unknown option or argument count (a server without `PEXPIRE ... XX`), or an ACL.
const REFUSED_FOR_GOOD = /^(?:ERR|NOPERM)\b/;
const noRefusal = (): undefined => undefined;
const refusalOf = (error: unknown): string => String((error as Error)?.message ?? error);
const DEFAULT_TIMEOUT_MS = 5000;
// SCAN visits about this many keys per call; UNLINK takes at most this many keys per call.
// 1000, not more: the server runs each SCAN (and the UNLINK sent with it) as one block, which
// at 4000 kept other clients waiting ~3 ms per call; at 1000 under 1 ms, and no slower overall.
const SCAN_COUNT = 1000;
const UNLINK_BATCH = 1000;
// Keys per call of deleteAll's page script. The server runs each call as one block: at 1000 a
// call held Redis ~0.8 ms standalone and ~1.2 ms on a cluster master (which UNLINKs key by
// key), and the longest PING seen during a deleteAll of 100k keys came near 5 ms; at 500 under
// 0.6 ms and 1.3 / 3.4 ms, for about a tenth more total time.
const PAGE_COUNT = 500;

/**
 * The Redis/Valkey store behind `RedisStore` and `ValkeyStore`: raw bytes, ms expiry,
 * renew-on-read and increment in one script each, `keys` and `deleteAll` by cursor SCAN on
 * every master, calls that fail at once (naming the server and the cause) while it is down.
 */
export abstract class RedisLikeStore<
  Client extends RedisLikeClient,
  ClientOptions,
  ClusterNode,
  ClusterOptions,
> extends BaseStore {
  /** Persistent, shared, the server expires entries itself; no `deleteExpired()`. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  // doSet / doSetIfAbsent copy the value into an outgoing slab at once (see outgoing.ts).
  protected override readonly borrowsValues = true;
  readonly #shared: Shared;
  readonly #prefix: Buffer;
  // The prefix as text when it is valid UTF-8 (root stores): ioredis sends string keys much
  // faster than Buffer keys. Child prefixes hold the 0xFF separator, so they stay bytes.
  readonly #textPrefix: string | undefined;

  /** Validates `options` and creates or borrows the client; `factory` creates owned clients. */
  constructor(
    options:
      | RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions>
      | NamespaceInit,
    factory: ClientFactory<Client, ClientOptions, ClusterNode, ClusterOptions>,
  ) {
    super();
    if (typeof options === 'object' && options !== null && NAMESPACE_INIT in options) {
      this.#shared = options[NAMESPACE_INIT].shared;
      this.#prefix = options[NAMESPACE_INIT].prefix;
      this.#textPrefix = textOf(this.#prefix);
      return;
    }
    const checked = readOptions<
      RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions>
    >(options, `new ${new.target.name}()`, [...OPTION_NAMES]);
    const namespace = namespaceOption(checked.namespace);
    const hashTag = hashTagOption(checked.hashTag, namespace);
    const timeoutMs = timeoutOption(checked.commandTimeoutMs);
    this.#prefix = rootPrefix(namespace, hashTag);
    this.#textPrefix = textOf(this.#prefix);
    const { client, owned, created, endpoint } = connect(checked, factory);
    const health = healthOf(client, created, endpoint);
    const timer = new CommandTimer(timeoutMs, health.endpoint, (error) => health.timedOut(error));
    const commands = factory.commands?.(client);
    this.#shared = {
      client,
      owned,
      timeoutMs,
      timer,
      health,
      commands,
      toStoreError: (error) => health.toStoreError(error),
      transactions:
        created &&
        !client.isCluster &&
        commands !== undefined &&
        typeof client.sendCommand === 'function' &&
        client.options?.enableAutoPipelining !== true,
      renewedLarge: false,
    };
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    const args: CommandArgument[] = [this.#key(key), outgoingCopy(value)];
    if (ttlMs !== undefined) args.push('PX', ttlMs);
    await this.#call(this.#shared.client, 'set', ...args);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    const reply =
      renewMs === undefined
        ? await this.#call(this.#shared.client, 'getBuffer', this.#key(key))
        : await this.#getAndRenew(this.#key(key), renewMs);
    if (reply === null || reply === undefined) return null;
    if (reply instanceof Uint8Array) return ownBytes(reply);
    throw new StoreError('STORE_IO', `unexpected reply to GET: ${describe(reply)}`);
  }

  protected async doDelete(key: string): Promise<boolean> {
    return Number(await this.#call(this.#shared.client, 'unlink', this.#key(key))) === 1;
  }

  protected async doExists(key: string): Promise<boolean> {
    return Number(await this.#call(this.#shared.client, 'exists', this.#key(key))) === 1;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    const ms = Number(await this.#call(this.#shared.client, 'pttl', this.#key(key)));
    if (ms === -2) return null;
    if (ms === -1) return Number.POSITIVE_INFINITY;
    return Math.max(ms, 1); // 0 in the key's last millisecond, while it is still readable
  }

  protected async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs: number | undefined,
  ): Promise<boolean> {
    const args: CommandArgument[] = [this.#key(key), outgoingCopy(value)];
    if (ttlMs !== undefined) args.push('PX', ttlMs);
    args.push('NX');
    const reply = await this.#call(this.#shared.client, 'set', ...args);
    return reply !== null && reply !== undefined; // OK, or nil when the key exists
  }

  protected async doIncrement(key: string, by: number, ttlMs: number | undefined): Promise<number> {
    const args: CommandArgument[] = ttlMs === undefined ? [String(by)] : [String(by), ttlMs];
    const reply = await this.#eval(INCREMENT_SCRIPT, this.#key(key), args);
    if (Array.isArray(reply) && reply.length === 2 && reply[1] instanceof Uint8Array) {
      const [status, bytes] = reply as [unknown, Uint8Array];
      // The script applies core's rules; core's own functions throw core's own errors.
      if (status === 0) return parseCounter(bytes);
      if (status === 1) parseCounter(bytes); // throws STORE_INVALID_VALUE
      if (status === 2) addToCounter(parseCounter(bytes), by); // throws STORE_INVALID_ARGUMENT
    }
    throw new StoreError(
      'STORE_IO',
      `unexpected reply to the increment script: ${describe(reply)}`,
    );
  }

  protected async doTouch(key: string, ttlMs: number): Promise<boolean> {
    return Number(await this.#call(this.#shared.client, 'pexpire', this.#key(key), ttlMs)) === 1;
  }

  protected async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    const start = prefix === undefined ? this.#prefix : entryKey(this.#prefix, prefix);
    const pattern = matchPattern(start);
    const skip = this.#prefix.length;
    const { client } = this.#shared;
    if (!client.isCluster) {
      yield* uniqueKeys(ownKeys(this.#scan(client, pattern), skip));
      return;
    }
    const plan = await this.#clusterPlan('keys');
    for (const { node, id } of plan.masters) {
      // A key whose slot another master owned when the loop began is that master's to list: a
      // slot moving during the loop cannot make a key come twice.
      const owned = (redisKey: Buffer): boolean => plan.owners[hashSlot(redisKey)] === id;
      yield* uniqueKeys(ownKeys(this.#scan(node, pattern), skip, owned));
    }
    await this.#assertUnchanged(plan, 'keys');
  }

  protected async doDeleteAll(): Promise<void> {
    if (this.#prefix.length === 0) {
      throw new StoreError(
        'STORE_NAMESPACE_REQUIRED',
        'deleteAll() needs a namespace: this store is unscoped (namespace: null)',
      );
    }
    const pattern = matchPattern(this.#prefix);
    const { client } = this.#shared;
    if (!client.isCluster) return this.#deleteMatching(client, pattern);
    const plan = await this.#clusterPlan('deleteAll');
    // Only masters that own slots hold keys the namespace can read; a node the client still
    // lists as a master after it became a replica would refuse the page script (READONLY).
    const owners = new Set(plan.owners);
    const masters = plan.masters.filter(({ id }) => owners.has(id));
    await Promise.all(masters.map(({ node }) => this.#deleteMatching(node, pattern, true)));
    await this.#assertUnchanged(plan, 'deleteAll');
  }

  protected createNamespace(name: string): BaseStore {
    const Child = this.constructor as new (init: NamespaceInit) => BaseStore;
    return new Child({
      [NAMESPACE_INIT]: { shared: this.#shared, prefix: childPrefix(this.#prefix, name) },
    });
  }

  protected override async releaseResources(): Promise<void> {
    const { client, owned, timeoutMs } = this.#shared;
    if (!owned) return;
    try {
      await withTimeout(client.quit(), timeoutMs);
    } catch {
      client.disconnect(); // the server is gone or slow: drop the socket instead
    }
  }

  #key(key: string): Buffer | string {
    return this.#textPrefix === undefined ? entryKey(this.#prefix, key) : this.#textPrefix + key;
  }

  /**
   * Sends a command with the store's timeout, or fails at once while the server is known to
   * be down; `map` turns its failures into what the call rejects with (without it they stay
   * the client's raw errors). A command object of the client's own library goes straight to
   * `sendCommand`, so the timeout rejects the command itself: the named method would cost the
   * library's wrapper and one more promise of ours per call; on a cluster, a keyed command
   * goes to its slot's master's connection (see `sendToSlot`). A client that auto-pipelines
   * gets the named method, which queues the command among the application's own, in order.
   */
  #send(
    target: RedisLikeClient,
    command: Command,
    args: CommandArgument[],
    map?: (error: unknown) => unknown,
  ): Promise<unknown> {
    const { timer, health, commands } = this.#shared;
    const failure = health.failure();
    if (failure !== undefined) return Promise.reject(failure);
    coalesceWrites(target);
    if (
      commands === undefined ||
      target.sendCommand === undefined ||
      target.options?.enableAutoPipelining === true
    ) {
      const send = target[command] as (...args: CommandArgument[]) => Promise<unknown>;
      return timer.bound(send.apply(target, args), map);
    }
    const [name, buffers, keyAt] = COMMANDS[command];
    const sent = commands(name, args, buffers);
    // Taken before sending: a cluster client (and sendToSlot) replaces it with one that
    // follows redirects, which a timeout must not set off.
    const { reject } = sent;
    // A script's key follows its number of keys, which may be 0 (no key: no slot).
    const key = keyAt === undefined || (keyAt === 2 && args[1] === 0) ? undefined : args[keyAt];
    if (target.isCluster && key !== undefined && typeof key !== 'number') {
      sendToSlot(target, sent, hashSlot(typeof key === 'string' ? Buffer.from(key) : key));
    } else {
      target.sendCommand(sent as never);
    }
    return timer.bound(sent.promise, map, reject);
  }

  /** Sends a command; failures reject as `StoreError`s naming the server and the cause. */
  #call(target: RedisLikeClient, command: Command, ...args: CommandArgument[]): Promise<unknown> {
    return this.#send(target, command, args, this.#shared.toStoreError);
  }

  /**
   * GET, and PEXPIRE to `renewMs` if the key already expires, in one atomic step: by the
   * script, or by a transaction after a renew read a large value, where the script costs more.
   */
  async #getAndRenew(key: Buffer | string, renewMs: number): Promise<unknown> {
    const shared = this.#shared;
    let reply: unknown = RETRY;
    if (shared.renewedLarge && shared.transactions) {
      reply = await this.#renewInTransaction(key, renewMs);
    }
    if (reply === RETRY) reply = await this.#eval(RENEW_SCRIPT, key, [renewMs]);
    if (reply instanceof Uint8Array) shared.renewedLarge = reply.length >= LARGE_VALUE;
    return reply;
  }

  /**
   * `MULTI`, `GET`, `PEXPIRE key ms XX`, `EXEC`: the same atomic step as the renew script
   * (`XX`: only a key that already expires), without moving the value through Lua. Resolves
   * `RETRY` if the server refused the transaction: then nothing of it ran.
   */
  async #renewInTransaction(key: Buffer | string, renewMs: number): Promise<unknown> {
    const shared = this.#shared;
    const { client, timer, health } = shared;
    const make = shared.commands as CommandMaker;
    const failure = health.failure();
    if (failure !== undefined) throw failure;
    coalesceWrites(client);
    const queued = [
      make('multi', [], false),
      make('get', [key], true),
      make('pexpire', [key, renewMs, 'XX'], false),
    ];
    const exec = make('exec', [], true);
    const { reject } = exec;
    // The library's own marks for a transaction: if the connection closes after MULTI was
    // answered, the rest is failed, never sent again outside the transaction.
    for (const [index, command] of [...queued, exec].entries()) {
      command.pipelineIndex = index;
      command.inTransaction = index > 0 && index < 3;
      client.sendCommand?.(command as never);
    }
    const refusals = queued.map((command) => command.promise.then(noRefusal, refusalOf));
    let replies: unknown;
    try {
      replies = await timer.bound(exec.promise, undefined, reject);
    } catch (error) {
      if (!isReplyError(error)) throw health.toStoreError(error);
      // EXECABORT (a command refused as it was queued) or EXEC without MULTI (MULTI refused):
      // the script does the call, and tells of a passing refusal (LOADING, BUSY, READONLY)
      // itself. A refusal of the commands themselves stays: no transactions from now on.
      if ((await Promise.all(refusals)).some((refusal) => REFUSED_FOR_GOOD.test(refusal ?? ''))) {
        shared.transactions = false;
      }
      return RETRY;
    }
    if (!Array.isArray(replies) || replies.length !== 2) {
      throw new StoreError('STORE_IO', `unexpected reply to EXEC: ${describe(replies)}`);
    }
    const [value] = replies as unknown[];
    if (value instanceof Error) throw health.toStoreError(value); // e.g. WRONGTYPE
    return value;
  }

  /** Runs `script` on `key` by its SHA; on NOSCRIPT (a restarted server) by its text, which caches it. */
  async #eval(script: Script, key: Buffer | string, args: CommandArgument[]): Promise<unknown> {
    const { client } = this.#shared;
    try {
      return await this.#send(client, 'evalshaBuffer', [script.sha, 1, key, ...args]);
    } catch (error) {
      if (!(isReplyError(error) && error.message.startsWith('NOSCRIPT'))) {
        throw this.#shared.health.toStoreError(error);
      }
    }
    return this.#call(client, 'evalBuffer', script.text, 1, key, ...args);
  }

  /**
   * The masters to SCAN and the owner of each slot, or `STORE_CONNECTION` while the cluster
   * is changing, when scanning would silently skip or repeat keys: a slot whose master the
   * client does not know (a failover under way: the client still has the dead master, or does
   * not know the promoted replica yet), masters that disagree about the slots, a slot whose
   * keys are being migrated.
   */
  async #clusterPlan(method: string, refreshed = false): Promise<ClusterPlan> {
    const { client } = this.#shared;
    // A fresh cluster client knows its nodes only once connected; any command waits for that.
    await this.#call(client, 'ping');
    const nodes = client.nodes?.('master') ?? [];
    if (nodes.length === 0) {
      throw new StoreError('STORE_CONNECTION', 'the cluster client knows no master node');
    }
    const { ids, owners } = await this.#clusterView(nodes, method);
    const known = new Set(ids);
    const orphan = owners.findIndex((id) => !known.has(id));
    if (orphan !== -1 && !refreshed && client.refreshSlotsCache !== undefined) {
      // The client learns of a promoted replica only when it reloads its slots.
      const refresh = client.refreshSlotsCache.bind(client);
      await this.#shared.timer.bound(new Promise<void>((resolve) => refresh(() => resolve())));
      return this.#clusterPlan(method, true);
    }
    if (orphan !== -1) {
      throw clusterChanging(method, `slot ${orphan} has no master the client knows`);
    }
    return { masters: nodes.map((node, i) => ({ node, id: ids[i] ?? '' })), owners };
  }

  /**
   * Each of `nodes`' ID and the owner of each slot as all of them report it (`CLUSTER NODES`),
   * or `STORE_CONNECTION` if they disagree or one is migrating a slot.
   */
  async #clusterView(
    nodes: readonly RedisLikeClient[],
    method: string,
  ): Promise<{ ids: string[]; owners: string[] }> {
    const views = await Promise.all(
      nodes.map(async (node) => nodesView(await this.#call(node, 'cluster', 'NODES'))),
    );
    const [first, ...others] = views;
    if (first === undefined || others.some((view) => !sameOwners(view.owners, first.owners))) {
      throw clusterChanging(method, 'its masters disagree about which of them owns which slot');
    }
    const moving = views.find((view) => view.moving !== undefined)?.moving;
    if (moving !== undefined) {
      throw clusterChanging(method, `the keys of slot ${moving} are being migrated`);
    }
    return { ids: views.map((view) => view.id), owners: first.owners };
  }

  /** Throws `STORE_CONNECTION` if a slot changed master, or began to move, since `plan`. */
  async #assertUnchanged(plan: ClusterPlan, method: string): Promise<void> {
    const nodes = plan.masters.map(({ node }) => node);
    const { owners } = await this.#clusterView(nodes, method);
    if (!sameOwners(owners, plan.owners)) {
      throw clusterChanging(method, 'slots moved to other masters while it ran');
    }
  }

  /**
   * Runs `script`, which declares no keys, on `node` itself (never through a cluster router)
   * by its SHA, or by its text on NOSCRIPT (each node caches scripts of its own); failures stay
   * the client's raw errors.
   */
  async #evalOn(node: RedisLikeClient, script: Script, args: CommandArgument[]): Promise<unknown> {
    try {
      return await this.#send(node, 'evalshaBuffer', [script.sha, 0, ...args]);
    } catch (error) {
      if (!(isReplyError(error) && error.message.startsWith('NOSCRIPT'))) throw error;
    }
    return this.#send(node, 'evalBuffer', [script.text, 0, ...args]);
  }

  /** The keys of `node` matching `pattern`, one cursor SCAN page at a time from `cursor`. */
  async *#scan(node: RedisLikeClient, pattern: Buffer, cursor = '0'): AsyncGenerator<Buffer[]> {
    do {
      const reply = await this.#call(
        node,
        'scanBuffer',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        SCAN_COUNT,
      );
      const [next, keys] = scanReply(reply);
      cursor = next;
      yield keys;
    } while (cursor !== '0');
  }

  /**
   * Deletes every key of `node` (a cluster master when `clusterNode`) matching `pattern`, one
   * SCAN page per call of the page script, the client looping the cursor: no key crosses the
   * network, and each call holds the server for one page. Where the server refuses the script
   * (scripting denied by ACL, EVALSHA renamed, a server before Redis 7), the client-side loop
   * goes on from the same cursor; a lost connection or a busy server rejects as any command.
   */
  async #deleteMatching(
    node: RedisLikeClient,
    pattern: Buffer,
    clusterNode = false,
  ): Promise<void> {
    const mode = clusterNode ? '1' : '0';
    let cursor = '0';
    do {
      let reply: unknown;
      try {
        reply = await this.#evalOn(node, DELETE_PAGE_SCRIPT, [cursor, pattern, PAGE_COUNT, mode]);
      } catch (error) {
        const failure = this.#shared.health.toStoreError(error);
        // An error reply other than "unavailable" (LOADING, BUSY, READONLY, ...): the script
        // itself cannot run here.
        if (!(isReplyError(error) && failure.code === 'STORE_IO')) throw failure;
        return this.#unlinkMatching(node, pattern, cursor);
      }
      cursor = cursorReply(reply);
    } while (cursor !== '0');
  }

  /**
   * Deletes every key of `node` matching `pattern` from SCAN cursor `cursor` on, client-side:
   * each page UNLINKed in batches (per slot on a cluster, sent through the cluster client so
   * redirects are followed) while the next page is scanned; at most one page of UNLINKs is in
   * flight per node.
   */
  async #unlinkMatching(node: RedisLikeClient, pattern: Buffer, cursor: string): Promise<void> {
    const { client } = this.#shared;
    let unlinking: Promise<unknown> = Promise.resolve();
    // The next page is read while this one's UNLINKs are in flight.
    for await (const keys of this.#scan(node, pattern, cursor)) {
      await unlinking;
      unlinking = Promise.all(
        unlinkBatches(keys, client.isCluster).map((batch) =>
          this.#call(client, 'unlink', ...batch),
        ),
      );
      unlinking.catch(() => {}); // awaited on the next turn; no unhandled rejection meanwhile
    }
    await unlinking;
  }
}

/**
 * `reply` as bytes nothing else shares. A reply is mostly a view of the socket chunk it arrived
 * in, next to other replies' bytes, and is copied; one that spans chunks was joined into a
 * buffer of its own, which the client keeps no hold of, and is handed over as it is.
 */
function ownBytes(reply: Uint8Array): Uint8Array {
  // A slice of Node's shared pool (small joins) is never the whole of its ArrayBuffer.
  const whole = reply.byteOffset === 0 && reply.byteLength === reply.buffer.byteLength;
  return whole ? reply : copyBytes(reply);
}

/**
 * Each SCAN page's keys of the namespace whose prefix is `skip` bytes long, as strings: keys
 * of child namespaces (a 0xFF after the prefix), foreign keys that are not UTF-8 (no string
 * key maps to them) and keys that are not `owned` are left out.
 */
async function* ownKeys(
  pages: AsyncIterable<Buffer[]>,
  skip: number,
  owned: (redisKey: Buffer) => boolean = () => true,
): AsyncGenerator<string[]> {
  for await (const page of pages) {
    const keys: string[] = [];
    for (const redisKey of page) {
      if (redisKey.indexOf(SEGMENT_END, skip) !== -1 || !owned(redisKey)) continue;
      const key = decodeKey(redisKey, skip);
      if (key !== undefined) keys.push(key);
    }
    yield keys;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The key after the first `skip` bytes of `redisKey`, or undefined if it is not UTF-8. */
function decodeKey(redisKey: Buffer, skip: number): string | undefined {
  try {
    return strictUtf8.decode(redisKey.subarray(skip));
  } catch {
    return undefined; // not UTF-8, so no string key maps to it
  }
}

/** `prefix` as a string if it is valid UTF-8 (so the string encodes back to the same bytes). */
function textOf(prefix: Buffer): string | undefined {
  return prefix.includes(SEGMENT_END) ? undefined : prefix.toString('utf8');
}

function namespaceOption(namespace: unknown): string | null {
  if (namespace === undefined) return DEFAULT_NAMESPACE;
  if (namespace === null) return null;
  assertNamespace(namespace);
  return namespace;
}

function hashTagOption(hashTag: unknown, namespace: string | null): boolean {
  if (hashTag === undefined || hashTag === false) return false;
  if (hashTag !== true) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `hashTag must be a boolean, got ${describe(hashTag)}`,
    );
  }
  // A `{` or `}` in the name would end or move the hash tag; null has no tag to put.
  if (namespace === null || /[{}]/.test(namespace)) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'hashTag needs a namespace without "{" or "}"');
  }
  return true;
}

function timeoutOption(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs <= 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `commandTimeoutMs must be a number of ms > 0 (Infinity: no timeout), got ${describe(timeoutMs)}`,
    );
  }
  return timeoutMs;
}

/** The client a new root store uses, whether the store closes it, and whether it made it. */
function connect<Client extends RedisLikeClient, ClientOptions, ClusterNode, ClusterOptions>(
  options: Partial<RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions>>,
  factory: ClientFactory<Client, ClientOptions, ClusterNode, ClusterOptions>,
): { client: RedisLikeClient; owned: boolean; created: boolean; endpoint?: string } {
  const { url, clientOptions, cluster, client, closeClient } = options;
  const sources = [url, cluster, client].filter((source) => source !== undefined).length;
  if (sources > 1) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'give at most one of url, cluster and client');
  }
  if (clientOptions !== undefined && (cluster !== undefined || client !== undefined)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      'clientOptions apply to a client created from url or options; use cluster.options',
    );
  }
  if (closeClient !== undefined && (client === undefined || typeof closeClient !== 'boolean')) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'closeClient is a boolean for a given client');
  }
  if (client !== undefined) {
    assertClient(client);
    return { client, owned: closeClient === true, created: false };
  }
  if (url !== undefined) checkUrl(url, factory.schemes);
  const db = (clientOptions as { db?: unknown } | undefined)?.db;
  if (db !== undefined) checkDb(db, 'clientOptions.db');
  if (cluster === undefined) {
    return { client: factory.standalone(url, clientOptions), owned: true, created: true };
  }
  if (!Array.isArray(cluster?.nodes)) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'cluster must be { nodes: [...], options? }');
  }
  return {
    client: factory.cluster(cluster.nodes, cluster.options),
    owned: true,
    created: true,
    endpoint: `the cluster at ${cluster.nodes.map(nodeAddress).join(', ')}`,
  };
}

/** A startup node as the clients take it (`port`, `'host:port'`, `{ host, port }`) as text. */
function nodeAddress(node: unknown): string {
  if (typeof node === 'number') return address(undefined, node);
  if (typeof node === 'string') return node;
  const { host, port } = (node ?? {}) as { host?: string; port?: number };
  return address(host, port);
}

function assertClient(client: unknown): asserts client is RedisLikeClient {
  const candidate = client as Partial<RedisLikeClient> | null;
  if (typeof candidate?.getBuffer !== 'function' || typeof candidate.quit !== 'function') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `client must be an ioredis/iovalkey Redis or Cluster client, got ${describe(client)}`,
    );
  }
  const prefix = candidate.options?.keyPrefix || candidate.options?.redisOptions?.keyPrefix;
  if (prefix) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      'a client with keyPrefix is not supported (use the namespace option instead)',
    );
  }
}

function scanReply(reply: unknown): [cursor: string, keys: Buffer[]] {
  if (Array.isArray(reply) && reply.length === 2 && Array.isArray(reply[1])) {
    return [String(reply[0]), reply[1] as Buffer[]];
  }
  throw new StoreError('STORE_IO', `unexpected reply to SCAN: ${describe(reply)}`);
}

/** The next cursor the page script replied. */
function cursorReply(reply: unknown): string {
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) return reply.toString();
  throw new StoreError('STORE_IO', `unexpected reply to the deleteAll script: ${describe(reply)}`);
}

/**
 * What one master's `CLUSTER NODES` reply says: its own ID, the ID of the master of each of the
 * 16384 slots ('' if none), and a slot it is migrating or importing (`[5->-id]`, `[5-<-id]`).
 */
function nodesView(reply: unknown): { id: string; owners: string[]; moving: string | undefined } {
  const text = typeof reply === 'string' || Buffer.isBuffer(reply) ? reply.toString() : undefined;
  if (text === undefined) {
    throw new StoreError('STORE_IO', `unexpected reply to CLUSTER NODES: ${describe(reply)}`);
  }
  const owners = new Array<string>(16384).fill('');
  let id = '';
  let moving: string | undefined;
  // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges ...>
  for (const line of text.split('\n')) {
    const [node = '', , flags = '', , , , , , ...ranges] = line.trim().split(' ');
    if (flags.split(',').includes('myself')) id = node;
    for (const range of ranges) {
      if (range.startsWith('[')) {
        moving ??= range.slice(1, range.indexOf('-'));
        continue;
      }
      const [start = '', end = start] = range.split('-');
      for (let slot = Number(start); slot <= Number(end); slot++) owners[slot] = node;
    }
  }
  return { id, owners, moving };
}

function sameOwners(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, slot) => id === b[slot]);
}

/** The rejection of a cluster-wide call whose result a changing cluster would make wrong. */
function clusterChanging(method: string, why: string): StoreError {
  return new StoreError(
    'STORE_CONNECTION',
    `${method}() cannot finish correctly while the cluster is changing (a failover or a ` +
      `resharding): ${why}; retry once it is stable`,
  );
}

/** Splits keys into UNLINK batches; on a cluster each batch holds keys of one slot only. */
function unlinkBatches(keys: Buffer[], cluster: boolean): Buffer[][] {
  const groups = new Map<number, Buffer[]>();
  for (const key of keys) {
    const slot = cluster ? hashSlot(key) : 0;
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [key]);
    else group.push(key);
  }
  const batches: Buffer[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += UNLINK_BATCH) {
      batches.push(group.slice(i, i + UNLINK_BATCH));
    }
  }
  return batches;
}
