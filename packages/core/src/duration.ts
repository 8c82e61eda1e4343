import { StoreError } from './errors.js';

/**
 * The longest duration accepted, in ms (2^52, about 142,000 years): `now + duration` stays an
 * exact integer, so no backend can overflow a finite duration into "never expires".
 */
export const MAX_DURATION_MS: number = 2 ** 52;

/**
 * Validates a duration in seconds and returns it as whole milliseconds (at least 1).
 * Rejects `0`, negatives, `NaN`, `Infinity`, non-numbers and durations over `MAX_DURATION_MS`
 * with `STORE_INVALID_ARGUMENT`.
 */
export function durationToMs(seconds: unknown, name: string): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be a finite number of seconds greater than 0, got ${describe(seconds)}`,
    );
  }
  // Rounding, not ceiling: 0.1 * 1000 is 100.00000000000001 in floating point.
  const ms = Math.max(1, Math.round(seconds * 1000));
  if (ms > MAX_DURATION_MS) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be at most ${MAX_DURATION_MS / 1000} seconds, got ${seconds}`,
    );
  }
  return ms;
}

/** Converts a remaining time in milliseconds to seconds as `expiresIn` reports it. */
export function msToSeconds(ms: number): number {
  return ms === Number.POSITIVE_INFINITY ? ms : ms / 1000;
}

/** A short, safe description of an argument for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
