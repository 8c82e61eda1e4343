import { describe } from './duration.js';
import { StoreError } from './errors.js';

// The bytes Redis INCRBY keeps: ASCII decimal, an optional '-', no '+', no leading zeros, no
// "-0". Anything else is not a counter, so every backend agrees on what increment accepts.
const COUNTER = /^(?:0|-?[1-9][0-9]{0,15})$/;
const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/**
 * The integer an entry's bytes hold, as `increment` reads them, or throws `STORE_INVALID_VALUE`
 * (not a canonical decimal, or outside ±(2^53 − 1)).
 */
export function parseCounter(bytes: Uint8Array): number {
  // 17 bytes hold '-' and 16 digits, more than any safe integer needs.
  const text = bytes.byteLength <= 17 ? decoder.decode(bytes) : '';
  const value = COUNTER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new StoreError(
      'STORE_INVALID_VALUE',
      'increment() needs an entry holding a decimal integer within ±(2^53 − 1)',
    );
  }
  return value;
}

/** The bytes `increment` stores for `value`: its ASCII decimal, as Redis `INCRBY` keeps it. */
export function formatCounter(value: number): Uint8Array {
  return encoder.encode(String(value));
}

/** `current + by`, or throws `STORE_INVALID_ARGUMENT` when the sum leaves ±(2^53 − 1). */
export function addToCounter(current: number, by: number): number {
  const sum = current + by;
  if (!Number.isSafeInteger(sum)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `increment() result ${current} + ${by} is outside ±(2^53 − 1)`,
    );
  }
  return sum;
}

/** Validates `by` of `increment` (a safe integer) or throws `STORE_INVALID_ARGUMENT`. */
export function assertIncrement(by: unknown): asserts by is number {
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `increment() option 'by' must be a safe integer, got ${describe(by)}`,
    );
  }
}
