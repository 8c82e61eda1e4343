import { describe } from './duration.js';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

/** Where an integration keeps its data: a store, or a registry and the store's name in it. */
export interface StoreSource {
  /** The store to use; the integration borrows it and never closes it. Not with `registry`. */
  store?: Store;
  /** A registry to resolve the store from by `name`; the registry keeps owning it. */
  registry?: { get(name: string): Store };
  /** The store's name in `registry`; only with `registry`. Default: the integration's convention. */
  name?: string;
}

const STORE_METHODS = ['get', 'set', 'delete', 'deleteAll', 'withNamespace', 'close'] as const;

/** Throws `STORE_INVALID_ARGUMENT` naming `what` unless `value` has the `Store` methods. */
export function assertStore(value: unknown, what: string): asserts value is Store {
  const candidate = value as Record<string, unknown> | null;
  const missing =
    typeof candidate === 'object' && candidate !== null
      ? STORE_METHODS.filter((method) => typeof candidate[method] !== 'function')
      : STORE_METHODS;
  if (missing.length > 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${what} must be a @stores Store, got ${describe(value)}${
        missing.length < STORE_METHODS.length ? ` without ${missing.join('(), ')}()` : ''
      }`,
    );
  }
}

/**
 * The store an integration uses: `source.store`, or `source.registry.get(name ?? defaultName)`.
 * Exactly one of `store` and `registry`; `name` only with `registry`; anything else is
 * `STORE_INVALID_ARGUMENT` with a message saying what to pass. `where` names the caller
 * (`new SessionStore()`); without `defaultName`, `name` is required with a registry.
 */
export function resolveStore(source: StoreSource, where: string, defaultName?: string): Store {
  const { store, registry, name } = source;
  if ((store === undefined) === (registry === undefined)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} needs exactly one of 'store' (a Store) or 'registry' (a StoreRegistry${
        defaultName === undefined ? " and a 'name'" : `, with 'name' defaulting to '${defaultName}'`
      }), got ${store === undefined ? 'neither' : 'both'}`,
    );
  }
  if (store !== undefined) {
    if (name !== undefined) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `${where} option 'name' picks a store from 'registry'; with 'store', drop 'name'`,
      );
    }
    assertStore(store, `${where} option 'store'`);
    return store;
  }
  if (typeof registry?.get !== 'function') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} option 'registry' must be a StoreRegistry, got ${describe(registry)}`,
    );
  }
  const resolved = name ?? defaultName;
  if (typeof resolved !== 'string' || resolved.length === 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} option 'name' must be the non-empty name of a store in the registry, got ${describe(resolved)}`,
    );
  }
  const found = registry.get(resolved);
  assertStore(found, `registry.get('${resolved}')`);
  return found;
}
