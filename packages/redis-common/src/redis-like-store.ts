import { createHash } from 'node:crypto';
import {
  assertNamespace,
  BaseStore,
  copyBytes,
  describe,
  type StoreCapabilities,
  StoreError,
} from '@stores/core';
import type { ClientFactory, CommandArgument, RedisLikeClient } from './client.js';
import { CommandTimer, isReplyError, toStoreError, withTimeout } from './errors.js';
import { hashSlot } from './hash-slot.js';
import { childPrefix, entryKey, matchPattern, rootPrefix, SEGMENT_END } from './key-layout.js';

/** Options shared by `RedisStore` and `ValkeyStore`; give at most one of url/cluster/client. */
export interface RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions> {
  /** Connection URL (`redis://`, `rediss://` for TLS); the store creates and owns the client. */
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

/** The client methods the store sends commands through. */
type Command =
  | 'set'
  | 'getBuffer'
  | 'unlink'
  | 'exists'
  | 'pttl'
  | 'ping'
  | 'evalshaBuffer'
  | 'evalBuffer'
  | 'scanBuffer';

/** What a root store and its namespaces share. */
interface Shared {
  readonly client: RedisLikeClient;
  readonly owned: boolean;
  readonly timeoutMs: number;
  readonly timer: CommandTimer;
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

// Returns the value and, only if the key already expires, resets its expiry, in one atomic
// step. `>= 0`: in a key's last millisecond PTTL is 0 yet GET still returns it, and it still
// has an expiry. Only `redis.call`, so it runs on Redis 7 and Valkey 7/8.
const RENEW_SCRIPT = `local value = redis.call('GET', KEYS[1])
if value and redis.call('PTTL', KEYS[1]) >= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value`;
const RENEW_SHA = createHash('sha1').update(RENEW_SCRIPT).digest('hex');

const DEFAULT_NAMESPACE = 'STORES';
const DEFAULT_TIMEOUT_MS = 5000;
// SCAN visits about this many keys per call; UNLINK takes at most this many keys per call.
const SCAN_COUNT = 4000;
const UNLINK_BATCH = 1000;

/**
 * The Redis/Valkey store behind `RedisStore` and `ValkeyStore`: raw bytes, ms expiry,
 * renew-on-read in one script, `deleteAll` by cursor SCAN + batched UNLINK on every master.
 */
export abstract class RedisLikeStore<
  Client extends RedisLikeClient,
  ClientOptions,
  ClusterNode,
  ClusterOptions,
> extends BaseStore {
  /** Persistent, shared, the server expires entries itself; no `deleteExpired()`. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
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
    if (typeof options !== 'object' || options === null) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `options must be an object, got ${describe(options)}`,
      );
    }
    if (NAMESPACE_INIT in options) {
      this.#shared = options[NAMESPACE_INIT].shared;
      this.#prefix = options[NAMESPACE_INIT].prefix;
      this.#textPrefix = textOf(this.#prefix);
      return;
    }
    const namespace = namespaceOption(options.namespace);
    const hashTag = hashTagOption(options.hashTag, namespace);
    const timeoutMs = timeoutOption(options.commandTimeoutMs);
    this.#prefix = rootPrefix(namespace, hashTag);
    this.#textPrefix = textOf(this.#prefix);
    this.#shared = { ...connect(options, factory), timeoutMs, timer: new CommandTimer(timeoutMs) };
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const args: CommandArgument[] = [this.#key(key), bytes];
    if (ttlMs !== undefined) args.push('PX', ttlMs);
    await this.#call(this.#shared.client, 'set', ...args);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    const reply =
      renewMs === undefined
        ? await this.#call(this.#shared.client, 'getBuffer', this.#key(key))
        : await this.#renewingGet(this.#key(key), renewMs);
    if (reply === null || reply === undefined) return null;
    if (reply instanceof Uint8Array) return replyBytes(reply);
    throw new StoreError('STORE_IO', `unexpected reply to GET: ${describe(reply)}`);
  }

  protected async doDelete(key: string): Promise<void> {
    await this.#call(this.#shared.client, 'unlink', this.#key(key));
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

  protected async doDeleteAll(): Promise<void> {
    if (this.#prefix.length === 0) {
      throw new StoreError(
        'STORE_NAMESPACE_REQUIRED',
        'deleteAll() needs a namespace: this store is unscoped (namespace: null)',
      );
    }
    const { client } = this.#shared;
    const pattern = matchPattern(this.#prefix);
    if (!client.isCluster) return this.#deleteMatching(client, pattern);
    // A fresh cluster client knows its nodes only once connected; any command waits for that.
    await this.#call(client, 'ping');
    const masters = client.nodes?.('master') ?? [];
    if (masters.length === 0) {
      throw new StoreError('STORE_CONNECTION', 'the cluster client knows no master node');
    }
    await Promise.all(masters.map((node) => this.#deleteMatching(node, pattern)));
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

  /** Sends a command with the store's timeout; failures stay the client's raw errors. */
  #send(target: RedisLikeClient, command: Command, args: CommandArgument[]): Promise<unknown> {
    const send = target[command] as (...args: CommandArgument[]) => Promise<unknown>;
    return this.#shared.timer.bound(send.apply(target, args));
  }

  /** Sends a command; failures reject as `StoreError`s. */
  #call(target: RedisLikeClient, command: Command, ...args: CommandArgument[]): Promise<unknown> {
    return this.#send(target, command, args).catch((error: unknown) => {
      throw toStoreError(error);
    });
  }

  /** The renew script by its SHA; on NOSCRIPT (a restarted server) by its text, which caches it. */
  async #renewingGet(key: Buffer | string, renewMs: number): Promise<unknown> {
    const { client } = this.#shared;
    try {
      return await this.#send(client, 'evalshaBuffer', [RENEW_SHA, 1, key, renewMs]);
    } catch (error) {
      if (!(isReplyError(error) && error.message.startsWith('NOSCRIPT'))) throw toStoreError(error);
    }
    return this.#call(client, 'evalBuffer', RENEW_SCRIPT, 1, key, renewMs);
  }

  /**
   * Deletes every key of `node` matching `pattern`: a cursor SCAN, each page UNLINKed in
   * batches (per slot on a cluster, sent through the cluster client so redirects are followed)
   * while the next page is scanned; at most one page of UNLINKs is in flight per node.
   */
  async #deleteMatching(node: RedisLikeClient, pattern: Buffer): Promise<void> {
    const { client } = this.#shared;
    let cursor = '0';
    let unlinking: Promise<unknown> = Promise.resolve();
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
      await unlinking;
      unlinking = Promise.all(
        unlinkBatches(keys, client.isCluster).map((batch) =>
          this.#call(client, 'unlink', ...batch),
        ),
      );
      unlinking.catch(() => {}); // awaited on the next turn; no unhandled rejection meanwhile
    } while (cursor !== '0');
    await unlinking;
  }
}

// A reply is a view into the socket chunk it arrived in, which nothing writes to afterwards.
// A large value is handed out as a plain view of it (a 10 KB copy cost a quarter of the CPU of a
// get); a small one is copied, so that holding it does not pin the whole chunk in memory.
const COPY_BELOW_BYTES = 4096;

function replyBytes(reply: Uint8Array): Uint8Array {
  if (reply.byteLength < COPY_BELOW_BYTES) return copyBytes(reply);
  return new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength);
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

/** The client a new root store uses, and whether the store closes it. */
function connect<Client extends RedisLikeClient, ClientOptions, ClusterNode, ClusterOptions>(
  options: RedisLikeStoreOptions<Client, ClientOptions, ClusterNode, ClusterOptions>,
  factory: ClientFactory<Client, ClientOptions, ClusterNode, ClusterOptions>,
): { client: RedisLikeClient; owned: boolean } {
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
    return { client, owned: closeClient === true };
  }
  if (url !== undefined && typeof url !== 'string') {
    throw new StoreError('STORE_INVALID_ARGUMENT', `url must be a string, got ${describe(url)}`);
  }
  if (cluster !== undefined && !Array.isArray(cluster?.nodes)) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'cluster must be { nodes: [...], options? }');
  }
  const created =
    cluster === undefined
      ? factory.standalone(url, clientOptions)
      : factory.cluster(cluster.nodes, cluster.options);
  // Failures reach callers as rejected calls; without a listener the client would also log
  // every reconnect attempt as an unhandled 'error' event.
  created.on('error', () => {});
  return { client: created, owned: true };
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
