import { MemoryStore, StoreRegistry } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { RateLimitStore } from '../src/express.js';
import { RateLimiter, type RateLimiterOptions } from '../src/index.js';

const store = new MemoryStore();
const registry = new StoreRegistry();

/** Expects `make` to throw STORE_INVALID_ARGUMENT with a message matching `message`. */
function expectInvalid(make: () => unknown, message: RegExp): void {
  expect(make).toThrow(
    expect.objectContaining({
      code: 'STORE_INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    }),
  );
}

const limiter = (options: Record<string, unknown>) =>
  new RateLimiter({ store, limit: 10, windowSec: 60, ...options } as RateLimiterOptions);

describe('new RateLimiter()', () => {
  it.each([
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    '10',
    null,
    undefined,
  ])('rejects limit %s, naming limit', (limit) =>
    expectInvalid(() => limiter({ limit }), /'limit' must be a positive integer/));

  it.each([
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '60',
    null,
    undefined,
  ])('rejects windowSec %s, naming windowSec', (windowSec) =>
    expectInvalid(() => limiter({ windowSec }), /'windowSec' must be a finite number of seconds/));

  it('rejects an unknown option, naming it and what it takes', () => {
    expectInvalid(() => limiter({ windowMs: 60_000 }), /unknown option 'windowMs'.*windowSec/);
    expectInvalid(() => limiter({ max: 10 }), /unknown option 'max'/);
  });

  it('rejects options that are not an object', () => {
    expectInvalid(() => new RateLimiter(10 as never), /options must be an object/);
  });

  it('needs exactly one of store or registry, and says what to pass', () => {
    expectInvalid(
      () => limiter({ store: undefined }),
      /exactly one of 'store'.*'registry'.*got neither/,
    );
    expectInvalid(() => limiter({ registry }), /exactly one of 'store'.*got both/);
  });

  it('rejects name without registry', () => {
    expectInvalid(
      () => limiter({ name: 'rate_limit' }),
      /'name' picks a store from 'registry'; with 'store', drop 'name'/,
    );
  });

  it('rejects a store without increment() and a registry without get(), saying what is needed', () => {
    expectInvalid(() => limiter({ store: { get: () => null } }), /'store' must be a @stores Store/);
    expectInvalid(
      () => limiter({ store: undefined, registry: { stores: {} } }),
      /'registry' must be a StoreRegistry/,
    );
  });

  it('rejects a keyPrefix that is not a well-formed string', () => {
    expectInvalid(
      () => limiter({ keyPrefix: '\uD83D' }),
      /'keyPrefix' must be a string without lone surrogates/,
    );
  });

  it('rejects a keyPrefix that is not a string', () => {
    expectInvalid(() => limiter({ keyPrefix: 7 }), /'keyPrefix' must be a string/);
  });

  it('accepts fractional windows to the millisecond', () => {
    expect(limiter({ windowSec: 0.25 }).windowSec).toBe(0.25);
  });
});

describe('new RateLimitStore()', () => {
  it('rejects an unknown option, naming it', () => {
    expectInvalid(
      () => new RateLimitStore({ store, windowMs: 1000 } as never),
      /unknown option 'windowMs'/,
    );
  });

  it('needs exactly one of store or registry, and says what to pass', () => {
    expectInvalid(() => new RateLimitStore({}), /exactly one of 'store'.*got neither/);
    expectInvalid(() => new RateLimitStore({ store, registry }), /got both/);
    expectInvalid(() => new RateLimitStore({ store, name: 'x' }), /with 'store', drop 'name'/);
  });

  it('rejects a prefix that is not a string', () => {
    expectInvalid(
      () => new RateLimitStore({ store, prefix: null as never }),
      /'prefix' must be a string/,
    );
  });
});

describe('RateLimitStore init()', () => {
  it.each([0, -5, Number.NaN, undefined])('rejects windowMs %s, naming windowMs', (windowMs) => {
    const limitStore = new RateLimitStore({ store });
    expectInvalid(
      () => limitStore.init({ windowMs } as never),
      /'windowMs' must be a positive number of milliseconds/,
    );
  });

  it('refuses to count before init(), saying to pass the store to rateLimit()', async () => {
    await expect(new RateLimitStore({ store }).increment('key')).rejects.toMatchObject({
      code: 'STORE_INVALID_ARGUMENT',
      message: expect.stringMatching(/rateLimit\(\{ store \}\)/),
    });
  });
});
