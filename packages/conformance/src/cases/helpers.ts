import type { Store } from '@stores/core';
import { check, show } from '../assertions.js';

/** A store method with its argument types erased. */
export type Loose = (...args: unknown[]) => Promise<unknown>;
/** `store[method]` bound and untyped: the suite must prove the runtime rejects what types forbid. */
export const loose = (
  store: Store,
  method: 'set' | 'get' | 'delete' | 'exists' | 'expiresIn' | 'setIfAbsent' | 'increment' | 'touch',
): Loose => (store[method] as Loose).bind(store);

/** Every key `store.keys(options)` yields, in order; `options` untyped, as with `loose`. */
export async function collectKeys(store: Store, options?: unknown): Promise<string[]> {
  const keys: string[] = [];
  const iterate = store.keys as (options?: unknown) => AsyncIterableIterator<string>;
  for await (const key of iterate.call(store, options)) keys.push(key);
  return keys;
}

/** Checks `actual` holds each of `expected` exactly once and nothing else. */
export function checkSameKeys(
  actual: readonly string[],
  expected: Iterable<string>,
  what: string,
): void {
  const want = new Set(expected);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const key of actual) {
    if (seen.has(key)) duplicates.push(key);
    seen.add(key);
  }
  const missing = [...want].filter((key) => !seen.has(key));
  const extra = [...seen].filter((key) => !want.has(key));
  const list = (keys: string[]): string =>
    `${keys.length} (${keys.slice(0, 5).map(show).join(', ')}${keys.length > 5 ? ', …' : ''})`;
  check(duplicates.length === 0, `${what}: keys yielded more than once: ${list(duplicates)}`);
  check(missing.length === 0, `${what}: keys missing: ${list(missing)}`);
  check(extra.length === 0, `${what}: keys that should not be there: ${list(extra)}`);
}

// Keys a naive backend mangles, collides or rejects: all legal and all distinct.
export const ADVERSARIAL_KEYS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../escape',
  '/',
  'a/b',
  '\\',
  'a\\b',
  ':',
  'a:b',
  'a_b',
  '*',
  'a*',
  '?',
  '[',
  ']',
  '[a]',
  '{}',
  '{a}',
  '%2F',
  '\0',
  'a\0b',
  '\n',
  'key',
  'KEY',
  'e\u0301', // e + combining acute accent
  '\u00e9', // precomposed é
  '😀',
  '👩‍👩‍👧',
  '\uFFFD',
];

/** Durations every method taking one must reject with `STORE_INVALID_ARGUMENT`. */
export const BAD_DURATIONS: readonly unknown[] = [
  0,
  -0,
  -1,
  -0.5,
  Number.NaN,
  Infinity,
  -Infinity,
  '10',
  null,
  true,
];

/** The UTF-8 bytes of `text`. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A value of `length` bytes filled with `fill`. */
export const filled = (length: number, fill: number): Uint8Array =>
  new Uint8Array(length).fill(fill);

/** Descends from `store` through `names`. */
export const nested = (store: Store, ...names: string[]): Store =>
  names.reduce((s, name) => s.withNamespace(name), store);

/** Checks `results` are exactly 1..n, each once, in any order: no increment was lost. */
export function checkOneToN(results: readonly unknown[], n: number, what: string): void {
  const sorted = [...results].sort((a, b) => Number(a) - Number(b));
  check(
    sorted.length === n && sorted.every((value, i) => value === i + 1),
    `${what} should resolve 1..${n} once each, got ${show(sorted)}`,
  );
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

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
