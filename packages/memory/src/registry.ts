import { StoreRegistry, type StoreRegistryOptions } from '@stores/core';
import { MemoryStore } from './memory-store.js';

/**
 * A `StoreRegistry` whose default factory makes a new `MemoryStore` per name, as the contract
 * describes; pass `defaultFactory` to override (e.g. `(name) => root.withNamespace(name)`).
 */
export function createStoreRegistry(options: StoreRegistryOptions = {}): StoreRegistry {
  return new StoreRegistry({ defaultFactory: () => new MemoryStore(), ...options });
}
