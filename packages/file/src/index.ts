export { FileStore, type FileStoreOptions } from './file-store.js';
export { FORMAT_VERSION } from './format.js';
export { LOCK_LEASE_MS } from './lock.js';
export { STALE_TEMP_MS } from './walk.js';
