export {
  ValkeyStore,
  type ValkeyStoreOptions,
  type ValkeyStoreUrlOptions,
} from './valkey-store.js';
