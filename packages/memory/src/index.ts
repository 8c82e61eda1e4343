export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { createStoreRegistry } from './registry.js';
