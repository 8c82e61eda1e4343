import { MemoryStore, type Store, StoreError } from '@stores/core';
import { startBackend } from '@stores/test-backends';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { ResponseCache, type ResponseCacheOptions } from '../src/index.js';
import {
  expressFramework,
  type Framework,
  honoFetchFramework,
  honoMiddlewareFramework,
} from './support/frameworks.js';
import { request, until } from './support/http.js';

/** A store whose writes fail as a full disk would, and whose reads work. */
function failingWrites(store: Store): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'set') {
        return () => Promise.reject(new StoreError('STORE_IO', 'no space left on device'));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function serve(framework: Framework, options: ResponseCacheOptions) {
  let calls = 0;
  const cache = new ResponseCache(options);
  const app = await framework.start(cache, [
    { path: '/x', handler: () => ({ body: `call ${++calls}` }) },
  ]);
  onTestFinished(() => app.close());
  return { fetch: () => request(`${app.url}/x`), calls: () => calls };
}

const redis = await startBackend('redis');
afterAll(() => redis?.stop());

for (const framework of [expressFramework, honoFetchFramework, honoMiddlewareFramework]) {
  describe(`${framework.name}: a failing store`, () => {
    it('fails the request when the store cannot be read, without running the handler', async () => {
      const store = new MemoryStore();
      await store.close();
      const app = await serve(framework, { store });
      expect((await app.fetch()).status).toBe(500);
      expect(app.calls()).toBe(0);
    });

    it('fails the request when the key builder throws', async () => {
      const app = await serve(framework, {
        store: new MemoryStore(),
        keyBuilder: () => {
          throw new Error('no key for this');
        },
      });
      expect((await app.fetch()).status).toBe(500);
    });

    it('sends the response when storing it fails, and hands the failure to onError', async () => {
      const failures: unknown[] = [];
      const app = await serve(framework, {
        store: failingWrites(new MemoryStore()),
        onError: (error) => failures.push(error),
      });
      const answer = await app.fetch();
      expect([answer.status, answer.text, answer.headers['x-cache']]).toEqual([
        200,
        'call 1',
        'MISS',
      ]);
      await until(() => failures.length === 1);
      expect(StoreError.is(failures[0], 'STORE_IO')).toBe(true);
      // Nothing was stored, so the next request computes again.
      expect((await app.fetch()).text).toBe('call 2');
    });
  });
}

// Without a server, startBackend warned loudly (or, under STORES_REQUIRE_SERVERS=1, threw).
describe.runIf(redis !== undefined)('a Redis server that went away', () => {
  it('fails the request with 500 instead of answering around the cache', async () => {
    if (redis === undefined) return;
    const app = await serve(expressFramework, { store: redis.open() });
    expect((await app.fetch()).status).toBe(200);
    await redis.server?.kill();
    expect((await app.fetch()).status).toBe(500);
    expect(app.calls()).toBe(1);
  });
});
