import { readOptions, type Store } from '@stores/core';
import { Keyv, type KeyvOptions } from 'keyv';
import { KeyvStoresAdapter } from './keyv-stores-adapter.js';
import type { KeyvStoresAdapterOptions } from './resolve-store.js';
import { expiryOf } from './ttl.js';

/** Keyv's own options, as `new Keyv()` takes them, but for `store` (the adapter). */
export type CreateKeyvOptions = Omit<KeyvOptions, 'store'>;

const KEYV_OPTIONS = [
  'namespace',
  'ttl',
  'serialize',
  'deserialize',
  'compression',
  'stats',
  'emitErrors',
  'throwOnErrors',
  'useKeyPrefix',
] as const;

/**
 * A Keyv on `source` (a `Store`, `{ store }` or `{ registry, name }`) through a
 * `KeyvStoresAdapter`, with `iterator()` (which `new Keyv()` withholds from third-party adapters).
 * Without `namespace` the entries live in the store itself; with one, in its child namespace.
 * Keys are not prefixed (`useKeyPrefix: false`): the namespace already separates them. Options
 * are checked: an unknown one, or a `ttl` that is not ms > 0, is `STORE_INVALID_ARGUMENT`.
 */
export function createKeyv<Value = unknown>(
  source: Store | KeyvStoresAdapterOptions,
  options?: CreateKeyvOptions,
): Keyv<Value> {
  const { namespace, ...keyvOptions } = readOptions<CreateKeyvOptions>(
    options,
    'createKeyv()',
    KEYV_OPTIONS,
  );
  expiryOf(keyvOptions.ttl);
  const adapter = new KeyvStoresAdapter(source);
  const keyv = new Keyv<Value>({ useKeyPrefix: false, ...keyvOptions, store: adapter });
  // Keyv defaults to the namespace 'keyv'; here no namespace means the store's own scope.
  keyv.namespace = namespace;
  keyv.iterator = keyv.generateIterator((scope: string | undefined) => adapter.iterator(scope));
  return keyv;
}
