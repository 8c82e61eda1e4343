export { BaseStore } from './base-store.js';
export { describe, durationToMs, MAX_DURATION_MS, msToSeconds } from './duration.js';
export { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  type RegisterOptions,
  type StoreFactory,
  StoreRegistry,
  type StoreRegistryOptions,
} from './registry.js';
export type {
  Duration,
  ExpirySweepingStore,
  GetOptions,
  SetOptions,
  Store,
  StoreCapabilities,
} from './types.js';
export { assertKey, assertNamespace, copyBytes, toBytes } from './validate.js';
