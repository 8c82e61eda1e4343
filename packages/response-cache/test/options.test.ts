import { MemoryStore, StoreError, StoreRegistry } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_NAME, ResponseCache } from '../src/index.js';

function invalid(run: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(StoreError.is(thrown, 'STORE_INVALID_ARGUMENT')).toBe(true);
  expect((thrown as Error).message).toMatch(message);
}

describe('new ResponseCache()', () => {
  it('needs store or registry, and says what to pass', () => {
    invalid(
      () => new ResponseCache({}),
      /needs exactly one of 'store' \(a Store\) or 'registry'.*defaulting to 'response_cache'.*got neither/,
    );
    invalid(() => new (ResponseCache as new () => ResponseCache)(), /needs exactly one of 'store'/);
  });

  it('refuses store and registry together', () => {
    const store = new MemoryStore();
    invalid(() => new ResponseCache({ store, registry: new StoreRegistry() }), /got both/);
  });

  it('refuses name without registry', () => {
    invalid(
      () => new ResponseCache({ store: new MemoryStore(), name: 'x' }),
      /with 'store', drop 'name'/,
    );
  });

  it('names an unknown option and the one meant', () => {
    const store = new MemoryStore();
    invalid(() => new ResponseCache({ store, ttl: 10 } as never), /unknown option 'ttl'/);
    invalid(
      () => new ResponseCache({ store, expiresIn: 10 } as never),
      /unknown option 'expiresIn'/,
    );
  });

  it('refuses what is not a store or a registry', () => {
    invalid(() => new ResponseCache({ store: {} as never }), /'store' must be a @stores Store/);
    invalid(
      () => new ResponseCache({ registry: 'r' as never }),
      /'registry' must be a StoreRegistry/,
    );
    invalid(
      () => new ResponseCache({ registry: new Map() as never }),
      /registry.get\('response_cache'\) must be a @stores Store, got undefined/,
    );
  });

  it.each([
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '60',
  ])('refuses defaultExpiration %s', (defaultExpiration) => {
    invalid(
      () =>
        new ResponseCache({
          store: new MemoryStore(),
          defaultExpiration: defaultExpiration as number,
        }),
      /defaultExpiration \(seconds, or null for no expiry\)/,
    );
  });

  it.each(['keyBuilder', 'filter', 'onError'])('refuses a %s that is not a function', (name) => {
    invalid(
      () => new ResponseCache({ store: new MemoryStore(), [name]: 'nope' }),
      new RegExp(`${name} must be a function`),
    );
  });

  it(`takes the store named '${DEFAULT_STORE_NAME}' from a registry, or the name given`, () => {
    const named = new MemoryStore();
    const other = new MemoryStore();
    const registry = new StoreRegistry({ stores: { response_cache: named, pages: other } });
    const taken: string[] = [];
    const watching = {
      get(name: string) {
        taken.push(name);
        return registry.get(name);
      },
    };
    new ResponseCache({ registry: watching });
    new ResponseCache({ registry: watching, name: 'pages' });
    expect(taken).toEqual(['response_cache', 'pages']);
  });
});

describe('route options', () => {
  const cache = new ResponseCache({ store: new MemoryStore() });

  it.each([
    ['express()', () => cache.express({ ttl: 5 } as never)],
    ['fetch()', () => cache.fetch(() => new Response(), { ttl: 5 } as never)],
    ['hono()', () => cache.hono({ ttl: 5 } as never)],
  ])('%s names an unknown option', (where, make) => {
    invalid(
      make,
      new RegExp(
        `unknown option 'ttl' of ${where.replace(/[()]/g, '\\$&')}; did you mean 'expiresIn'\\?`,
      ),
    );
  });

  it.each([0, -5, Number.NaN])('refuses expiresIn %s', (expiresIn) => {
    invalid(() => cache.express({ expiresIn }), /expiresIn \(seconds, or null for no expiry\)/);
  });

  it('refuses a fetch() handler that is not a function', () => {
    invalid(() => cache.fetch('app' as never), /fetch\(\) handler must be a function/);
  });

  it('never closes the store it uses', async () => {
    const store = new MemoryStore();
    const handler = new ResponseCache({ store }).fetch(() => new Response('x'));
    await handler(new Request('http://localhost/x'));
    expect(store.closed).toBe(false);
  });
});
