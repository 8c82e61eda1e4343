export { type Awaitable, BaseStore } from './base-store.js';
export { addToCounter, assertIncrement, formatCounter, parseCounter } from './counter.js';
export { describe, durationToMs, MAX_DURATION_MS, msToSeconds } from './duration.js';
export { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  type RegisterOptions,
  type StoreFactory,
  StoreRegistry,
  type StoreRegistryOptions,
} from './registry.js';
export { assertStore, resolveStore, type StoreSource } from './resolve-store.js';
export type {
  Duration,
  ExpirySweepingStore,
  GetOptions,
  IncrementOptions,
  KeysOptions,
  SetOptions,
  Store,
  StoreCapabilities,
  TouchOptions,
} from './types.js';
export {
  assertKey,
  assertNamespace,
  copyBytes,
  isUint8Array,
  readOptions,
  toBytes,
  viewBytes,
} from './validate.js';
