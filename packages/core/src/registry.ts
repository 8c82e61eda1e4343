import { describe } from './duration.js';
import { StoreError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { assertStore } from './resolve-store.js';
import type { Store } from './types.js';
import { readOptions } from './validate.js';

/** Makes the store for a name the registry has not seen; called at most once per name. */
export type StoreFactory = (name: string) => Store;

/** Options of `StoreRegistry`. */
export interface StoreRegistryOptions {
  /** Stores registered up front, by name. */
  stores?: Record<string, Store>;
  /** Makes the store for an unregistered name on first `get`, cached. Default: a new `MemoryStore`. */
  defaultFactory?: StoreFactory;
  /**
   * A root store the registry owns: an unregistered name gets `root.withNamespace(name)`, and
   * `close()` closes those children, then the root. Not together with `defaultFactory`.
   */
  root?: Store;
}

/** Options of `StoreRegistry.register`. */
export interface RegisterOptions {
  /** Replace a store already registered under the name instead of throwing. */
  allowOverride?: boolean;
}

/**
 * Named stores for an application's integrations (`response_cache`, `sessions`,
 * `rate_limit`, ...). `new StoreRegistry({ root })` gives each integration its own namespace on
 * one backend and owns the root: closing the registry closes it.
 */
export class StoreRegistry {
  readonly #stores = new Map<string, Store>();
  readonly #defaultFactory: StoreFactory;
  readonly #root: Store | undefined;
  #closed: Promise<void> | undefined;

  /** Creates a registry holding `options.stores`, creating others with `defaultFactory` or from `root`. */
  constructor(options: StoreRegistryOptions = {}) {
    const { stores, defaultFactory, root } = readOptions<StoreRegistryOptions>(
      options,
      'new StoreRegistry()',
      ['stores', 'defaultFactory', 'root'],
    );
    if (defaultFactory !== undefined && typeof defaultFactory !== 'function') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'defaultFactory must be a function');
    }
    if (root !== undefined) {
      if (defaultFactory !== undefined) {
        throw new StoreError(
          'STORE_INVALID_ARGUMENT',
          'give root or defaultFactory, not both (root implies (name) => root.withNamespace(name))',
        );
      }
      assertStore(root, 'root');
    }
    this.#root = root;
    this.#defaultFactory =
      root === undefined
        ? (defaultFactory ?? (() => new MemoryStore()))
        : (name) => root.withNamespace(name);
    for (const [name, store] of Object.entries(stores ?? {})) this.register(name, store);
  }

  /** The store registered as `name`, else the default factory's store, created once and cached. */
  get(name: string): Store {
    this.#assertOpen();
    assertName(name);
    const existing = this.#stores.get(name);
    if (existing !== undefined) return existing;
    const created = this.#defaultFactory(name);
    this.#stores.set(name, created);
    return created;
  }

  /** Registers `store` as `name`; throws `STORE_ALREADY_REGISTERED` unless `allowOverride`. */
  register(name: string, store: Store, options: RegisterOptions = {}): void {
    this.#assertOpen();
    assertName(name);
    assertStore(store, 'store');
    const { allowOverride } = readOptions<RegisterOptions>(options, 'register()', [
      'allowOverride',
    ]);
    if (this.#stores.has(name) && allowOverride !== true) {
      throw new StoreError(
        'STORE_ALREADY_REGISTERED',
        `a store is already registered as "${name}"`,
      );
    }
    this.#stores.set(name, store);
  }

  /** True if a store is registered (or was created by the default factory) as `name`. */
  has(name: string): boolean {
    return this.#stores.has(name);
  }

  /** The names of the stores the registry holds, in registration order. */
  names(): string[] {
    return [...this.#stores.keys()];
  }

  /**
   * Closes every store the registry holds, each once even if registered under several names,
   * then the root it owns, and rejects with the first failure after trying them all. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const held = new Set(this.#stores.values());
      const results = await Promise.allSettled([...held].map((s) => s.close()));
      if (this.#root !== undefined && !held.has(this.#root)) {
        results.push(...(await Promise.allSettled([this.#root.close()])));
      }
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed !== undefined) throw new StoreError('STORE_CLOSED', 'the registry is closed');
  }
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `store name must be a non-empty string, got ${describe(name)}`,
    );
  }
}
