import { describe, type SetOptions, StoreError } from '@stores/core';

/**
 * The store's `set` options for a Keyv TTL in milliseconds: `undefined`, `0` and `Infinity` are
 * Keyv's "never expires" (its envelope records no expiry for them either); any other TTL must be
 * more than 0 ms and is rounded up to whole ms, so a fraction of a ms neither becomes "no expiry"
 * nor expires before Keyv's own clock says so. Throws `STORE_INVALID_ARGUMENT` otherwise.
 */
export function expiryOf(ttl: unknown): SetOptions | undefined {
  if (ttl === undefined || ttl === 0 || ttl === Number.POSITIVE_INFINITY) return undefined;
  if (typeof ttl !== 'number' || !(ttl > 0)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `ttl must be milliseconds greater than 0 (0 or undefined: no expiry), got ${describe(ttl)}`,
    );
  }
  return { expiresIn: Math.ceil(ttl) / 1000 };
}
