export { type CacheRequest, defaultKeyBuilder, type KeyBuilder } from './cache-key.js';
export {
  CACHE_STATUS_HEADER,
  type CacheFilter,
  defaultFilter,
} from './cacheability.js';
export type { ExpressMiddleware } from './express.js';
export type { FetchHandler, HonoMiddleware } from './fetch.js';
export {
  type CacheRouteOptions,
  DEFAULT_STORE_NAME,
  ResponseCache,
  type ResponseCacheOptions,
} from './response-cache.js';
