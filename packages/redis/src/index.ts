export { RedisStore, type RedisStoreOptions, type RedisStoreUrlOptions } from './redis-store.js';
