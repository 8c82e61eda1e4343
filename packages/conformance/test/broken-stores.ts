import {
  addToCounter,
  type BaseStore,
  formatCounter,
  type GetOptions,
  type IncrementOptions,
  isUint8Array,
  type KeysOptions,
  parseCounter,
  type SetOptions,
  type Store,
  type StoreCapabilities,
  StoreError,
  type TouchOptions,
} from '@stores/core';
import { ReferenceStore } from './reference-store.js';

/** A store that breaks exactly one rule, and the case ids that must catch it. */
export interface BrokenStore {
  /** What is wrong with it. */
  readonly name: string;
  /** Case ids of which at least one must fail (every id listed must fail). */
  readonly caughtBy: readonly string[];
  /** Makes a fresh root store. */
  readonly create: () => Store;
}

const DAY_MS = 86_400_000;

class ExistsIgnoresExpiry extends ReferenceStore {
  protected override async doExists(key: string): Promise<boolean> {
    return this.entries.has(this.id(key));
  }
}

class ExpiresInReportsExpired extends ReferenceStore {
  // The model's defect: an expired but unswept entry reports 0 or a negative remaining time.
  protected override async doExpiresIn(key: string): Promise<number | null> {
    const entry = this.entries.get(this.id(key));
    return entry === undefined ? null : entry.expiresAt - Date.now();
  }
}

class DeleteAllReachesSiblings extends ReferenceStore {
  // The model's `{ns}*` pattern: a plain string prefix, so `a` also matches `ab`.
  protected override owns(id: string): boolean {
    const parts = JSON.parse(id) as string[];
    return parts.slice(0, -1).join('/').startsWith(this.path.join('/'));
  }
}

class DeleteAllMissesChildren extends ReferenceStore {
  protected override owns(id: string): boolean {
    return super.owns(id) && (JSON.parse(id) as string[]).length === this.path.length + 1;
  }
}

class GetReturnsSharedArray extends ReferenceStore {
  protected override async doGet(key: string): Promise<Uint8Array | null> {
    return this.live(key, Date.now())?.value ?? null;
  }
}

class SetKeepsCallersArray extends ReferenceStore {
  override async set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    await super.set(key, value, options);
    const entry = this.entries.get(this.id(key));
    if (entry !== undefined && value instanceof Uint8Array) entry.value = value;
  }
}

class UnderscoreJoinedNamespaces extends ReferenceStore {
  protected override createNamespace(name: string): BaseStore {
    return this.at([[...this.path, name].join('_')]);
  }
}

class NormalisesKeys extends ReferenceStore {
  protected override id(key: string): string {
    return super.id(key.normalize('NFC'));
  }
}

class ExpiresInWholeSeconds extends ReferenceStore {
  override async expiresIn(key: string): Promise<number | null> {
    const remaining = await super.expiresIn(key);
    return remaining === null ? null : Math.floor(remaining);
  }
}

class ExpiresInMinusOne extends ReferenceStore {
  override async expiresIn(key: string): Promise<number | null> {
    const remaining = await super.expiresIn(key);
    return remaining === Number.POSITIVE_INFINITY ? -1 : remaining;
  }
}

class ZeroMeansForever extends ReferenceStore {
  override async set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    return super.set(key, value, options?.expiresIn === 0 ? {} : options);
  }
}

class SetKeepsOldExpiry extends ReferenceStore {
  protected override async doSet(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    const old = this.entries.get(this.id(key));
    await super.doSet(key, value, ttlMs);
    const entry = this.entries.get(this.id(key));
    if (ttlMs === undefined && old !== undefined && entry !== undefined) {
      entry.expiresAt = old.expiresAt;
    }
  }
}

class RenewAddsExpiry extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const entry = this.live(key, Date.now());
    if (entry !== undefined && renewMs !== undefined) entry.expiresAt = Date.now() + renewMs;
    return super.doGet(key, undefined);
  }
}

class RenewDropsDays extends ReferenceStore {
  // The model's defect: timedelta.seconds drops the days, and an expiry of 0 deletes the key.
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    if (renewMs !== undefined && renewMs >= DAY_MS) this.entries.delete(this.id(key));
    return value;
  }
}

class RenewWholeSeconds extends ReferenceStore {
  // The model's defect: `TTL` rounds to whole seconds, and a key reading 0 is not renewed.
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const entry = this.live(key, Date.now());
    const wholeSeconds =
      entry === undefined ? 0 : Math.round((entry.expiresAt - Date.now()) / 1000);
    return super.doGet(key, wholeSeconds > 0 ? renewMs : undefined);
  }
}

class RenewCreatesMissing extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    if (value === null && renewMs !== undefined) {
      this.entries.set(this.id(key), { value: new Uint8Array(0), expiresAt: Date.now() + renewMs });
    }
    return value;
  }
}

class EmptyValueIsNull extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    return value?.length === 0 ? null : value;
  }
}

class TornWrites extends ReferenceStore {
  // Writes a large value into the existing buffer half by half, yielding in between, the way a
  // non-atomic file write (no temp + rename) interleaves with a concurrent writer.
  protected override async doSet(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    const entry = this.entries.get(this.id(key));
    if (entry === undefined || entry.value.length !== value.length || value.length < 1024) {
      return super.doSet(key, value, ttlMs);
    }
    const half = value.length >> 1;
    entry.value.set(value.subarray(0, half));
    await new Promise((done) => setTimeout(done, 64 - ((value[0] ?? 0) % 64)));
    entry.value.set(value.subarray(half), half);
  }
}

class CloseNotIdempotent extends ReferenceStore {
  #closes = 0;
  override close(): Promise<void> {
    this.#closes++;
    if (this.#closes > 1) return Promise.reject(new Error('already closed'));
    return super.close();
  }
}

class ChildCloseClosesParent extends ReferenceStore {
  parent: ReferenceStore | undefined;
  protected override createNamespace(name: string): BaseStore {
    const child = new ChildCloseClosesParent(this.entries, [...this.path, name]);
    child.parent = this;
    return child;
  }
  override async close(): Promise<void> {
    await super.close();
    await this.parent?.close();
  }
}

class DeleteExpiredMiscounts extends ReferenceStore {
  // Removes the expired entries of child namespaces but counts only its own.
  override async deleteExpired(): Promise<number> {
    const own = [...this.entries].filter(
      ([id, entry]) =>
        (JSON.parse(id) as string[]).length === this.path.length + 1 &&
        this.owns(id) &&
        Date.now() >= entry.expiresAt,
    ).length;
    await super.deleteExpired();
    return own;
  }
}

const tick = (): Promise<void> => new Promise((done) => setImmediate(done));

class IncrementNotAtomic extends ReferenceStore {
  // Reads, awaits, then writes: concurrent increments all read the same value.
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const current = await this.doGet(key, undefined);
    const result = addToCounter(current === null ? 0 : parseCounter(current), by);
    await tick();
    const entry = this.live(key, Date.now());
    if (entry === undefined) await this.doSet(key, formatCounter(result), ttlMs);
    else entry.value = formatCounter(result);
    return result;
  }
}

class IncrementRenewsExpiry extends ReferenceStore {
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const result = await super.doIncrement(key, by, ttlMs);
    const entry = this.live(key, Date.now());
    if (entry !== undefined && ttlMs !== undefined) entry.expiresAt = this.expiry(ttlMs);
    return result;
  }
}

class IncrementParsesLeniently extends ReferenceStore {
  // parseInt reads '1.5', '+1', '01' and ' 1' as 1, where Redis INCRBY refuses them.
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const entry = this.live(key, Date.now());
    if (entry !== undefined) {
      const lenient = Number.parseInt(new TextDecoder().decode(entry.value), 10);
      if (Number.isSafeInteger(lenient)) entry.value = formatCounter(lenient);
    }
    return super.doIncrement(key, by, ttlMs);
  }
}

class IncrementKeepsExpiredValue extends ReferenceStore {
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const entry = this.entries.get(this.id(key));
    if (entry === undefined || Date.now() < entry.expiresAt) {
      return super.doIncrement(key, by, ttlMs);
    }
    const result = addToCounter(parseCounter(entry.value), by);
    entry.value = formatCounter(result);
    return result;
  }
}

class IncrementUnbounded extends ReferenceStore {
  // No range check: the sum leaves the safe integers and is stored rounded.
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const entry = this.live(key, Date.now());
    const result = (entry === undefined ? 0 : parseCounter(entry.value)) + by;
    if (entry === undefined) await this.doSet(key, formatCounter(result), ttlMs);
    else entry.value = formatCounter(result);
    return result;
  }
}

class IncrementStoresBinary extends ReferenceStore {
  // Keeps counters as 8-byte integers: increment agrees with itself, but get shows no decimal.
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const entry = this.live(key, Date.now());
    const current =
      entry === undefined
        ? 0
        : entry.value.length === 8
          ? Number(new DataView(entry.value.buffer).getBigInt64(0))
          : parseCounter(entry.value);
    const result = addToCounter(current, by);
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigInt64(0, BigInt(result));
    if (entry === undefined) await this.doSet(key, value, ttlMs);
    else entry.value = value;
    return result;
  }
}

class SetIfAbsentSeesExpired extends ReferenceStore {
  // Treats an expired entry that is still in memory as present.
  protected override async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs?: number,
  ): Promise<boolean> {
    if (this.entries.has(this.id(key))) return false;
    return super.doSetIfAbsent(key, value, ttlMs);
  }
}

class SetIfAbsentNotAtomic extends ReferenceStore {
  protected override async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs?: number,
  ): Promise<boolean> {
    if (await this.doExists(key)) return false;
    await tick();
    await this.doSet(key, value, ttlMs);
    return true;
  }
}

class DeleteAlwaysTrue extends ReferenceStore {
  protected override async doDelete(key: string): Promise<boolean> {
    await super.doDelete(key);
    return true;
  }
}

class TouchResurrects extends ReferenceStore {
  protected override async doTouch(key: string, ttlMs: number): Promise<boolean> {
    if (this.live(key, Date.now()) === undefined) {
      this.entries.set(this.id(key), { value: new Uint8Array(0), expiresAt: this.expiry(ttlMs) });
    }
    return true;
  }
}

class TouchRewritesValue extends ReferenceStore {
  // Touch as get + set: it writes back a value read before a concurrent set or delete.
  protected override async doTouch(key: string, ttlMs: number): Promise<boolean> {
    const value = await this.doGet(key, undefined);
    if (value === null) return false;
    await tick();
    await this.doSet(key, value, ttlMs);
    return true;
  }
}

class KeysLeakChildren extends ReferenceStore {
  protected override async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    for (const id of this.entries.keys()) {
      const key = (JSON.parse(id) as string[]).at(-1) ?? '';
      if (this.owns(id) && (prefix === undefined || key.startsWith(prefix))) yield key;
    }
  }
}

class KeysYieldExpired extends ReferenceStore {
  protected override async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    for (const id of this.entries.keys()) {
      const key = this.keyOf(id);
      if (key !== undefined && (prefix === undefined || key.startsWith(prefix))) yield key;
    }
  }
}

class KeysPageByOffset extends ReferenceStore {
  // Pages through a fresh listing by position: a delete before the position skips keys.
  protected override async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    for (let offset = 0; ; offset += 100) {
      const all: string[] = [];
      for await (const key of super.doKeys(prefix)) all.push(key);
      const page = all.slice(offset, offset + 100);
      if (page.length === 0) return;
      yield* page;
    }
  }
}

class KeysPrefixAsPattern extends ReferenceStore {
  // Builds a regular expression from the prefix without escaping it.
  protected override async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    let pattern: RegExp | undefined;
    try {
      pattern =
        prefix === undefined ? undefined : new RegExp(`^${prefix.replaceAll('*', '.*')}`, 'u');
    } catch {
      pattern = /^$/;
    }
    for await (const key of super.doKeys(undefined)) {
      if (pattern === undefined || pattern.test(key)) yield key;
    }
  }
}

class KeysIgnoreClose extends ReferenceStore {
  override keys(options?: KeysOptions): AsyncIterableIterator<string> {
    const keys = this.doKeys(options?.prefix)[Symbol.asyncIterator]();
    return {
      next: () => keys.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

class IgnoresUnknownOptions extends ReferenceStore {
  // Drops option names it does not know, so `{ ttl: 10 }` silently means "no expiry".
  override set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    return super.set(key, value, pick(options, ['expiresIn']));
  }
  override setIfAbsent(key: string, value: Uint8Array | string, options?: SetOptions) {
    return super.setIfAbsent(key, value, pick(options, ['expiresIn']));
  }
  override get(key: string, options?: GetOptions): Promise<Uint8Array | null> {
    return super.get(key, pick(options, ['renewFor']));
  }
  override increment(key: string, options?: IncrementOptions): Promise<number> {
    return super.increment(key, pick(options, ['by', 'expiresIn']));
  }
  override touch(key: string, options: TouchOptions): Promise<boolean> {
    return super.touch(key, pick(options, ['expiresIn']) ?? options);
  }
  override keys(options?: KeysOptions): AsyncIterableIterator<string> {
    return super.keys(pick(options, ['prefix']));
  }
}

function pick<T extends object>(
  options: T | undefined,
  names: readonly (keyof T)[],
): T | undefined {
  if (typeof options !== 'object' || options === null) return options;
  return Object.fromEntries(
    names.filter((name) => name in options).map((name) => [name, options[name]]),
  ) as T;
}

class TouchLeaksRangeError extends ReferenceStore {
  // Reads its options before BaseStore can wrap what goes wrong: a getter's RangeError escapes.
  override async touch(key: string, options: TouchOptions): Promise<boolean> {
    const expiresIn = options?.expiresIn;
    return super.touch(key, { expiresIn });
  }
}

class ReturnedArraysShareBuffer extends ReferenceStore {
  // Hands out views of one slab per namespace, the way a pooled allocator does.
  readonly #slab = new Uint8Array(256 * 1024);
  #offset = 0;
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    if (value === null || value.length > this.#slab.length) return value;
    if (this.#offset + value.length > this.#slab.length) this.#offset = 0;
    const view = this.#slab.subarray(this.#offset, this.#offset + value.length);
    view.set(value);
    this.#offset += value.length;
    return view;
  }
}

class CopiesByClaimedLength extends ReferenceStore {
  // Copies `byteLength` bytes from the view's buffer, trusting an overridden getter.
  override set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    const bytes = isUint8Array(value)
      ? Buffer.from(
          value.buffer,
          value.byteOffset,
          Math.min(value.byteLength, value.buffer.byteLength - value.byteOffset),
        )
      : value;
    return super.set(key, bytes, options);
  }
}

class RejectsOtherRealms extends ReferenceStore {
  override set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      return Promise.reject(new StoreError('STORE_INVALID_VALUE', 'not a Uint8Array'));
    }
    return super.set(key, value, options);
  }
}

class AcceptsAnyView extends ReferenceStore {
  override set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    const view: unknown = value;
    if (ArrayBuffer.isView(view) && !isUint8Array(view)) {
      return super.set(key, new Uint8Array(view.buffer, view.byteOffset, view.byteLength), options);
    }
    return super.set(key, value, options);
  }
}

const LOOSE_CAPABILITIES: StoreCapabilities = {
  persistent: false,
  shared: false,
  nativeExpiry: false,
  deleteExpired: true,
};

class CapabilitiesNotFrozen extends ReferenceStore {
  override readonly capabilities: StoreCapabilities = LOOSE_CAPABILITIES;
}

class DeleteReachesEveryNamespace extends ReferenceStore {
  protected override async doDelete(key: string): Promise<boolean> {
    const removed = await super.doDelete(key);
    for (const id of this.entries.keys()) {
      if ((JSON.parse(id) as string[]).at(-1) === key) this.entries.delete(id);
    }
    return removed;
  }
}

class NamespacedExistsIgnoresExpiry extends ReferenceStore {
  // Correct at the root, wrong in any namespace: only the namespace passes can catch it.
  protected override async doExists(key: string): Promise<boolean> {
    if (this.path.length === 0) return super.doExists(key);
    return this.entries.has(this.id(key));
  }
}

class RejectsWithPlainErrors extends ReferenceStore {
  // Right moment, wrong error: callers cannot tell a bad key from a backend failure.
  override async get(key: string, options?: GetOptions): Promise<Uint8Array | null> {
    try {
      return await super.get(key, options);
    } catch (error) {
      throw StoreError.is(error, 'STORE_INVALID_KEY') ? new TypeError(error.message) : error;
    }
  }
}

/** Each breaks one rule of the contract; the suite must catch every one. */
export const brokenStores: readonly BrokenStore[] = [
  {
    name: 'exists ignores expiry',
    caughtBy: ['expiry.uniform'],
    create: () => new ExistsIgnoresExpiry(),
  },
  {
    name: 'expiresIn reports expired entries as <= 0',
    caughtBy: ['expiry.uniform', 'expiry.boundary'],
    create: () => new ExpiresInReportsExpired(),
  },
  {
    name: 'deleteAll matches a string prefix (reaches siblings)',
    caughtBy: ['deleteAll.spares-siblings'],
    create: () => new DeleteAllReachesSiblings(),
  },
  {
    name: 'deleteAll misses child namespaces',
    caughtBy: ['deleteAll.reaches-descendants'],
    create: () => new DeleteAllMissesChildren(),
  },
  {
    name: 'get returns the stored array',
    caughtBy: ['value.get-returns-copy'],
    create: () => new GetReturnsSharedArray(),
  },
  {
    name: "set keeps the caller's array",
    caughtBy: ['value.set-copies-input'],
    create: () => new SetKeepsCallersArray(),
  },
  {
    name: 'namespaces joined with _',
    caughtBy: ['namespace.injective'],
    create: () => new UnderscoreJoinedNamespaces(),
  },
  {
    name: 'keys normalised to NFC',
    caughtBy: ['key.adversarial-distinct'],
    create: () => new NormalisesKeys(),
  },
  {
    name: 'expiresIn truncated to whole seconds',
    caughtBy: ['expiresIn.remaining', 'expiresIn.fractional'],
    create: () => new ExpiresInWholeSeconds(),
  },
  {
    name: 'expiresIn is -1 for no expiry',
    caughtBy: ['expiresIn.no-expiry'],
    create: () => new ExpiresInMinusOne(),
  },
  {
    name: 'expiresIn 0 means no expiry',
    caughtBy: ['set.invalid-expires-in'],
    create: () => new ZeroMeansForever(),
  },
  {
    name: 'set without expiresIn keeps the old expiry',
    caughtBy: ['set.clears-expiry'],
    create: () => new SetKeepsOldExpiry(),
  },
  {
    name: 'renew adds an expiry to keys without one',
    caughtBy: ['get.renew-keeps-no-expiry'],
    create: () => new RenewAddsExpiry(),
  },
  {
    name: 'renewFor of a day or more deletes the key',
    caughtBy: ['get.renew-one-day-or-more'],
    create: () => new RenewDropsDays(),
  },
  {
    name: 'renew skips keys with under 0.5 s left',
    caughtBy: ['get.renew-sub-second-remaining'],
    create: () => new RenewWholeSeconds(),
  },
  {
    name: 'renew of a missing key creates it',
    caughtBy: ['get.renew-missing'],
    create: () => new RenewCreatesMissing(),
  },
  {
    name: 'the empty value reads as null',
    caughtBy: ['value.empty'],
    create: () => new EmptyValueIsNull(),
  },
  {
    name: 'large writes are not atomic',
    caughtBy: ['concurrency.same-key'],
    create: () => new TornWrites(),
  },
  {
    name: 'a second close rejects',
    caughtBy: ['close.idempotent'],
    create: () => new CloseNotIdempotent(),
  },
  {
    name: "a child's close closes its parent",
    caughtBy: ['close.child-leaves-parent-open'],
    create: () => new ChildCloseClosesParent(),
  },
  {
    name: 'deleteExpired does not count child namespaces',
    caughtBy: ['deleteExpired.counts'],
    create: () => new DeleteExpiredMiscounts(),
  },
  {
    name: 'capabilities are not frozen',
    caughtBy: ['capabilities.frozen'],
    create: () => new CapabilitiesNotFrozen(),
  },
  {
    name: 'delete reaches every namespace',
    caughtBy: ['model.random-operations', 'namespace.isolated'],
    create: () => new DeleteReachesEveryNamespace(),
  },
  {
    name: 'get rejects a bad key with a plain TypeError',
    caughtBy: ['key.invalid'],
    create: () => new RejectsWithPlainErrors(),
  },
  {
    name: 'increment is get + set with an await between',
    caughtBy: ['increment.concurrent-exact'],
    create: () => new IncrementNotAtomic(),
  },
  {
    name: 'increment applies expiresIn to existing entries',
    caughtBy: ['increment.keeps-expiry'],
    create: () => new IncrementRenewsExpiry(),
  },
  {
    name: 'increment parses entries with parseInt',
    caughtBy: ['increment.invalid-entry'],
    create: () => new IncrementParsesLeniently(),
  },
  {
    name: 'increment adds to an expired entry',
    caughtBy: ['increment.expired-is-zero'],
    create: () => new IncrementKeepsExpiredValue(),
  },
  {
    name: 'increment has no range check',
    caughtBy: ['increment.overflow'],
    create: () => new IncrementUnbounded(),
  },
  {
    name: 'increment stores 8-byte binary integers',
    caughtBy: ['increment.stores-decimal', 'increment.reads-set-value'],
    create: () => new IncrementStoresBinary(),
  },
  {
    name: 'setIfAbsent treats an expired entry as present',
    caughtBy: ['setIfAbsent.expired-is-absent'],
    create: () => new SetIfAbsentSeesExpired(),
  },
  {
    name: 'setIfAbsent is exists + set with an await between',
    caughtBy: ['setIfAbsent.concurrent-one-winner'],
    create: () => new SetIfAbsentNotAtomic(),
  },
  {
    name: 'delete always resolves true',
    caughtBy: ['delete.missing', 'delete.expired'],
    create: () => new DeleteAlwaysTrue(),
  },
  {
    name: 'touch creates a missing key',
    caughtBy: ['touch.missing'],
    create: () => new TouchResurrects(),
  },
  {
    name: 'touch is get + set',
    caughtBy: ['touch.concurrent'],
    create: () => new TouchRewritesValue(),
  },
  {
    name: "keys yields child namespaces' keys",
    caughtBy: ['keys.own-namespace-only'],
    create: () => new KeysLeakChildren(),
  },
  {
    name: 'keys yields expired keys',
    caughtBy: ['keys.expired-excluded'],
    create: () => new KeysYieldExpired(),
  },
  {
    name: 'keys pages by position',
    caughtBy: ['keys.exactly-once'],
    create: () => new KeysPageByOffset(),
  },
  {
    name: 'keys treats the prefix as a pattern',
    caughtBy: ['keys.prefix'],
    create: () => new KeysPrefixAsPattern(),
  },
  {
    name: 'keys ignores a closed ancestor',
    caughtBy: ['close.ancestor-closes-new-methods', 'close.rejects-after'],
    create: () => new KeysIgnoreClose(),
  },
  {
    name: 'unknown options are ignored',
    caughtBy: ['options.unknown-rejected'],
    create: () => new IgnoresUnknownOptions(),
  },
  {
    name: "touch lets an options getter's RangeError escape",
    caughtBy: ['errors.store-errors-only'],
    create: () => new TouchLeaksRangeError(),
  },
  {
    name: 'returned arrays share one ArrayBuffer',
    caughtBy: ['value.returned-buffer-private'],
    create: () => new ReturnedArraysShareBuffer(),
  },
  {
    name: 'set copies as many bytes as byteLength claims',
    caughtBy: ['value.lying-byte-length'],
    create: () => new CopiesByClaimedLength(),
  },
  {
    name: 'set rejects a Uint8Array of another realm',
    caughtBy: ['value.other-realm'],
    create: () => new RejectsOtherRealms(),
  },
  {
    name: 'set accepts any ArrayBuffer view',
    caughtBy: ['value.invalid-views'],
    create: () => new AcceptsAnyView(),
  },
];

/** Fails only inside a namespace: proves the namespace passes run the table again. */
export const namespaceOnlyBroken: BrokenStore = {
  name: 'exists ignores expiry inside namespaces only',
  caughtBy: ['expiry.uniform'],
  create: () => new NamespacedExistsIgnoresExpiry(),
};

/** The reference store without `deleteExpired`, to prove capability skips. */
export class NoSweepStore extends ReferenceStore {
  override readonly capabilities: StoreCapabilities = Object.freeze({
    ...new ReferenceStore().capabilities,
    deleteExpired: false,
  });
}
