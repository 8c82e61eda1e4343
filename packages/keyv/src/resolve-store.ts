import { describe, readOptions, type Store, StoreError, type StoreRegistry } from '@stores/core';

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
const STORE_METHODS = ['get', 'set', 'delete', 'deleteAll', 'exists', 'keys', 'withNamespace'];

/** The store `source` names and whether the adapter owns it; throws `STORE_INVALID_ARGUMENT`. */
export function resolveStore(
  source: Store | KeyvStoresAdapterOptions,
  where: string,
): { store: Store; closeStore: boolean } {
  // Anything with a get() is meant as a store (or is a registry passed bare): say what it lacks.
  if (typeof (source as { get?: unknown } | null)?.get === 'function') {
    return { store: checked(source, 'the first argument'), closeStore: false };
  }
  const {
    store,
    registry,
    name,
    closeStore = false,
  } = readOptions<KeyvStoresAdapterOptions>(source, where, OPTIONS);
  if (typeof closeStore !== 'boolean') {
    invalid(`closeStore must be a boolean, got ${describe(closeStore)}`);
  }
  if (store !== undefined && registry !== undefined) {
    invalid(`${where} takes { store } or { registry, name }, not both`);
  }
  if (registry !== undefined) {
    if (typeof registry?.get !== 'function') {
      invalid(`registry must be a StoreRegistry, got ${describe(registry)}`);
    }
    if (name === undefined) {
      invalid('with registry, give name: the name of the store to cache in (there is no default)');
    }
    if (closeStore) {
      invalid(
        'closeStore is for a store you hand in; a registry owns its stores: close the registry',
      );
    }
    return { store: checked(registry.get(name), `registry.get('${name}')`), closeStore };
  }
  if (name !== undefined) {
    invalid('name picks a store from a registry: pass { registry, name }, or { store } alone');
  }
  if (store === undefined) {
    invalid(`${where} needs a @stores Store, { store } or { registry, name }`);
  }
  return { store: checked(store, 'store'), closeStore };
}

function checked(store: unknown, what: string): Store {
  const candidate = store as Record<string, unknown> | null;
  const missing =
    typeof candidate === 'object' && candidate !== null
      ? STORE_METHODS.filter((method) => typeof candidate[method] !== 'function')
      : STORE_METHODS;
  if (missing.length > 0) {
    invalid(
      `${what} must be a @stores Store (a Store, { store } or { registry, name }), got ${describe(store)} without ${missing.map((method) => `${method}()`).join(', ')}`,
    );
  }
  return store as Store;
}

function invalid(message: string): never {
  throw new StoreError('STORE_INVALID_ARGUMENT', message);
}
