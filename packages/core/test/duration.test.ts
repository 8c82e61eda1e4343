import { describe, expect, it } from 'vitest';
import { durationToMs, MAX_DURATION_MS, StoreError } from '../src/index.js';

describe('durationToMs()', () => {
  it('converts seconds to whole milliseconds', () => {
    expect(durationToMs(10, 'x')).toBe(10_000);
    expect(durationToMs(0.25, 'x')).toBe(250);
    expect(durationToMs(0.1, 'x')).toBe(100);
    expect(durationToMs(86_400 * 3, 'x')).toBe(259_200_000);
  });

  it('accepts up to MAX_DURATION_MS and rejects longer finite durations', () => {
    expect(durationToMs(MAX_DURATION_MS / 1000, 'x')).toBe(MAX_DURATION_MS);
    expect(() => durationToMs(1e306, 'x')).toThrow(StoreError);
  });

  it('never turns a positive duration into zero', () => {
    expect(durationToMs(0.0001, 'x')).toBe(1);
  });

  it.each([
    0,
    -1,
    -0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    '10',
    null,
    {},
    10n,
  ])('rejects %s with STORE_INVALID_ARGUMENT', (value) => {
    let thrown: unknown;
    try {
      durationToMs(value, 'expiresIn');
    } catch (error) {
      thrown = error;
    }
    expect(StoreError.is(thrown, 'STORE_INVALID_ARGUMENT')).toBe(true);
  });
});
