export { DEFAULT_STORE_NAME, type StoreSource } from './fixed-window.js';
export { RateLimiter, type RateLimiterOptions, type RateLimitResult } from './rate-limiter.js';
