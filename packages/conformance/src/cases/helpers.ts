import type { Store } from '@stores/core';
import { check, show } from '../assertions.js';

/** A store method with its argument types erased. */
export type Loose = (...args: unknown[]) => Promise<unknown>;
/** `store[method]` bound and untyped: the suite must prove the runtime rejects what types forbid. */
export const loose = (
  store: Store,
  method: 'set' | 'get' | 'delete' | 'exists' | 'expiresIn',
): Loose => (store[method] as Loose).bind(store);

/** The UTF-8 bytes of `text`. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A value of `length` bytes filled with `fill`. */
export const filled = (length: number, fill: number): Uint8Array =>
  new Uint8Array(length).fill(fill);

/** Descends from `store` through `names`. */
export const nested = (store: Store, ...names: string[]): Store =>
  names.reduce((s, name) => s.withNamespace(name), store);

/** Checks every read agrees that `key` is gone: `exists`, `expiresIn` and `get`. */
export async function checkGone(store: Store, key: string, what: string): Promise<void> {
  check(!(await store.exists(key)), `${what}: exists(${show(key)}) should be false`);
  const remaining = await store.expiresIn(key);
  check(
    remaining === null,
    `${what}: expiresIn(${show(key)}) should be null, got ${show(remaining)}`,
  );
  const value = await store.get(key);
  check(value === null, `${what}: get(${show(key)}) should be null, got ${show(value)}`);
}

/** Checks `expiresIn(key)` is in `(low, high]` and a whole number of ms. */
export async function checkRemaining(
  store: Store,
  key: string,
  low: number,
  high: number,
  what: string,
): Promise<void> {
  const remaining = await store.expiresIn(key);
  check(
    typeof remaining === 'number' && remaining > low && remaining <= high,
    `${what}: expiresIn should be in (${low}, ${high}], got ${show(remaining)}`,
  );
  const ms = remaining * 1000;
  check(
    Math.abs(ms - Math.round(ms)) < 1e-6,
    `${what}: expiresIn should have 1 ms resolution, got ${remaining}`,
  );
}

/** Checks `expiresIn(key)` is exactly `Infinity`. */
export async function checkNoExpiry(store: Store, key: string, what: string): Promise<void> {
  const remaining = await store.expiresIn(key);
  check(
    remaining === Number.POSITIVE_INFINITY,
    `${what}: expiresIn should be Infinity, got ${show(remaining)}`,
  );
}

/** Fails when more than `ttl` seconds passed since `started`: the case could not judge expiry. */
export function checkInTime(started: number, ttl: number, what: string): void {
  const elapsed = (performance.now() - started) / 1000;
  check(
    elapsed < ttl,
    `${what}: the backend took ${elapsed.toFixed(3)} s, longer than the ${ttl} s TTL under test`,
  );
}
