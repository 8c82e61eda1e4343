import { EventEmitter } from 'node:events';
import { describe, type SetOptions, type Store, StoreError } from '@stores/core';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { type KeyvStoresAdapterOptions, resolveStore } from './resolve-store.js';
import { expiryOf } from './ttl.js';

/** What Keyv hands `setMany`: serialized values and their TTLs in ms. */
type KeyvEntries = Array<{ key: string; value: unknown; ttl?: number }>;

const decoder = new TextDecoder();

/**
 * A Keyv storage adapter on any @stores `Store`: Keyv's serialized strings stored as they are,
 * its TTLs in ms as the store's seconds, its namespace as a child namespace of the store (so
 * `clear()` empties that namespace and nothing else). It never closes the store it was handed,
 * unless `closeStore: true`. Failures reject with the store's `StoreError`; reads Keyv does not
 * report itself (`get`, `getMany`, `has`, `hasMany`, `iterator`) are also emitted as `'error'`.
 */
export class KeyvStoresAdapter extends EventEmitter implements KeyvStoreAdapter {
  /**
   * Keyv's adapter options. Keyv 5 offers `iterator()` only to adapters whose `dialect` is one of
   * its own (redis, sqlite, ...) and otherwise reads `url` as a string, so `url` is `''`: this
   * adapter has no URL of its own and is not one of them (`createKeyv` attaches the iterator).
   */
  readonly opts: { dialect: 'stores'; url: '' } = { dialect: 'stores', url: '' };
  readonly #base: Store;
  readonly #closeStore: boolean;
  #namespace: string | undefined;
  #scope: Store | undefined;

  /** Caches in `source` (a `Store`, `{ store }` or `{ registry, name }`); options are checked. */
  constructor(source: Store | KeyvStoresAdapterOptions) {
    super();
    const { store, closeStore } = resolveStore(source, 'new KeyvStoresAdapter()');
    this.#base = store;
    this.#closeStore = closeStore;
  }

  /** Keyv's namespace (Keyv sets it); entries live in the store's child namespace of that name. */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  set namespace(namespace: string | undefined) {
    this.#namespace = namespace;
    this.#scope = undefined;
  }

  /** The serialized value stored under `key`, or `undefined`. */
  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.#read(async () => decode(await this.#store().get(key)) as StoredData<Value>);
  }

  /** The serialized values of `keys`, in order, `undefined` where missing. */
  getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return this.#read(async () => {
      const store = this.#store();
      const values = await Promise.all(keys.map((key) => store.get(key)));
      return values.map(decode) as Array<StoredData<Value | undefined>>;
    });
  }

  /** True if `key` holds an unexpired entry. */
  has(key: string): Promise<boolean> {
    return this.#read(() => this.#store().exists(key));
  }

  /** For each of `keys`, whether it holds an unexpired entry. */
  hasMany(keys: string[]): Promise<boolean[]> {
    return this.#read(() => {
      const store = this.#store();
      return Promise.all(keys.map((key) => store.exists(key)));
    });
  }

  /** Stores Keyv's serialized string under `key` for `ttl` ms (`undefined` or `0`: no expiry). */
  async set(key: string, value: unknown, ttl?: number): Promise<void> {
    const [text, options] = toWrite(value, ttl);
    await this.#store().set(key, text, options);
  }

  /**
   * Writes every entry (all are checked before the first write) and resolves `true` for each;
   * if any write failed it rejects with the first failure once all have settled.
   */
  setMany(entries: KeyvEntries): Promise<boolean[]>;
  // Keyv's adapter type says setMany resolves nothing, yet `Keyv#setMany` resolves what the
  // adapter resolves as its `boolean[]`: this signature only lets the adapter be that type.
  setMany(entries: KeyvEntries): Promise<void>;
  async setMany(entries: KeyvEntries): Promise<unknown> {
    const store = this.#store();
    const writes = entries.map(({ key, value, ttl }) => [key, ...toWrite(value, ttl)] as const);
    await settleAll(writes.map(([key, text, options]) => store.set(key, text, options)));
    return writes.map(() => true);
  }

  /** Removes `key`; resolves whether it held an unexpired entry (`Store.delete`, one call). */
  async delete(key: string): Promise<boolean> {
    return this.#store().delete(key);
  }

  /** Removes every one of `keys`; resolves `true` if each of them held an unexpired entry. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const store = this.#store();
    const removed = await settleAll(keys.map((key) => store.delete(key)));
    return removed.every(Boolean);
  }

  /** Empties this adapter's scope: the namespace Keyv set, else the store it was given. */
  async clear(): Promise<void> {
    await this.#store().deleteAll();
  }

  /** Yields `[key, serialized value]` of every entry of `namespace` (default: the adapter's). */
  async *iterator(
    namespace: string | undefined = this.#namespace,
  ): AsyncGenerator<[string, string], void> {
    try {
      const store = namespace === this.#namespace ? this.#store() : this.#child(namespace);
      for await (const key of store.keys()) {
        const value = decode(await store.get(key));
        // An entry deleted or expired since it was listed is not yielded.
        if (value !== undefined) yield [key, value];
      }
    } catch (error) {
      this.#emitError(error);
      throw error;
    }
  }

  /** Closes the store only if it was handed in with `closeStore: true`; otherwise does nothing. */
  async disconnect(): Promise<void> {
    if (this.#closeStore) await this.#base.close();
  }

  #store(): Store {
    this.#scope ??= this.#child(this.#namespace);
    return this.#scope;
  }

  // Keyv treats an empty namespace as none.
  #child(namespace: string | undefined): Store {
    return namespace === undefined || namespace === ''
      ? this.#base
      : this.#base.withNamespace(namespace);
  }

  // Keyv swallows a failed get and passes other read failures to the caller without reporting
  // them, so reads emit 'error' (as Keyv's own adapters do); writes it reports itself.
  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      this.#emitError(error);
      throw error;
    }
  }

  #emitError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function decode(bytes: Uint8Array | null): string | undefined {
  return bytes === null ? undefined : decoder.decode(bytes);
}

/** The string to store and the store's options for it; throws a `StoreError`. */
function toWrite(value: unknown, ttl: unknown): [string, SetOptions | undefined] {
  if (typeof value !== 'string') {
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `KeyvStoresAdapter stores the strings Keyv serializes, got ${describe(value)}; keep Keyv's serialize option`,
    );
  }
  return [value, expiryOf(ttl)];
}

/** Waits for every promise; resolves their values, or rejects with the first failure. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
