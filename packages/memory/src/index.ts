// The in-memory store lives in @stores/core, because the registry's default factory makes one
// per name and core cannot depend on this package (which depends on core) without a cycle.
export { MemoryStore, type MemoryStoreOptions } from '@stores/core';
