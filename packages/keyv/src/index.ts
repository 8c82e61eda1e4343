export { type CreateKeyvOptions, createKeyv } from './create-keyv.js';
export { KeyvStoresAdapter } from './keyv-stores-adapter.js';
export type { KeyvStoresAdapterOptions } from './resolve-store.js';
