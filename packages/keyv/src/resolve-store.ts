import {
  assertStore,
  describe,
  readOptions,
  resolveStore as resolveSource,
  type Store,
  StoreError,
  type StoreRegistry,
} from '@stores/core';

/** Where a `KeyvStoresAdapter` keeps its entries: exactly one of `store` and `registry`. */
export interface KeyvStoresAdapterOptions {
  /** The store to cache in; Keyv's namespace becomes a child namespace of it. Not with `registry`. */
  store?: Store;
  /** A registry to resolve the store from by `name`. Not with `store`. */
  registry?: Pick<StoreRegistry, 'get'>;
  /** With `registry`: the name of the store (required; Keyv has no conventional store name). */
  name?: string;
  /** With `store`: `disconnect()` closes it. Default `false`: the store is borrowed, never closed. */
  closeStore?: boolean;
}

const OPTIONS = ['store', 'registry', 'name', 'closeStore'] as const;

/** The store `source` names and whether the adapter owns it; throws `STORE_INVALID_ARGUMENT`. */
export function resolveStore(
  source: Store | KeyvStoresAdapterOptions,
  where: string,
): { store: Store; closeStore: boolean } {
  // Anything with a get() is meant as a store (or is a registry passed bare): say what it lacks.
  if (typeof (source as { get?: unknown } | null)?.get === 'function') {
    assertStore(source, `${where}: the first argument (a Store, { store } or { registry, name })`);
    return { store: source, closeStore: false };
  }
  const read = readOptions<KeyvStoresAdapterOptions>(source, where, OPTIONS);
  const { closeStore = false } = read;
  if (typeof closeStore !== 'boolean') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `closeStore must be a boolean, got ${describe(closeStore)}`,
    );
  }
  if (closeStore && read.registry !== undefined) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      'closeStore is for a store you hand in; a registry owns its stores: close the registry',
    );
  }
  // Keyv has no conventional store name, so a registry needs an explicit one.
  return { store: resolveSource(read, where), closeStore };
}
