export { FileStore, type FileStoreOptions, STALE_TEMP_MS } from './file-store.js';
export { FORMAT_VERSION } from './format.js';
