import { randomUUID } from 'node:crypto';
import { type Store, StoreRegistry } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import { beforeEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/index.js';

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** `store`, with the name of every method called on it pushed to `calls`. */
function logged(store: Store, calls: string[]): Store {
  return new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
}

await describeEachBackend((backend) => {
  let store: Store;
  let id: string;
  beforeEach(() => {
    store = backend.open();
    id = `client-${randomUUID()}`;
  });

  describe('hit()', () => {
    it('admits limit hits per window, then refuses, counting remaining down', async () => {
      const limiter = new RateLimiter({ store, limit: 3, windowSec: 60 });
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await limiter.hit(id));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
      expect(results.every((r) => r.limit === 3)).toBe(true);
    });

    it('reports resetIn as the time left in the window its first hit opened, never short of it', async () => {
      const limiter = new RateLimiter({ store, limit: 3, windowSec: 60 });
      expect((await limiter.hit(id)).resetIn).toBe(60);
      const later = await limiter.hit(id);
      expect(later.resetIn).toBeGreaterThan(50);
      expect(later.resetIn).toBeLessThanOrEqual(60);
      // Read after the hit, so the window can only have less left than the hit reported.
      expect(await store.expiresIn(id)).toBeLessThanOrEqual(later.resetIn);
    });

    it("reads a window's end once per process: later hits into it are one increment each", async () => {
      const here: string[] = [];
      const elsewhere: string[] = [];
      const limiter = new RateLimiter({ store: logged(store, here), limit: 9, windowSec: 60 });
      const other = new RateLimiter({ store: logged(store, elsewhere), limit: 9, windowSec: 60 });
      for (let i = 0; i < 3; i++) await limiter.hit(id);
      for (let i = 0; i < 3; i++) await other.hit(id);
      expect(here).toEqual(['increment', 'increment', 'increment']);
      expect(elsewhere).toEqual(['increment', 'expiresIn', 'increment', 'increment']);
    });

    it('notices a window that another process reset and reopened, and reports its end', async () => {
      const limiter = new RateLimiter({ store, limit: 9, windowSec: 60 });
      const other = new RateLimiter({ store, limit: 9, windowSec: 60 });
      await limiter.hit(id);
      await limiter.hit(id);
      await sleep(1.5);
      await other.reset(id);
      await other.hit(id);
      // The count (2) is not above the last one seen here (2): a new window, read again.
      expect((await limiter.hit(id)).resetIn).toBeGreaterThan(59);
    });

    it('admits hits again once the window has ended, after the resetIn it reported', async () => {
      const limiter = new RateLimiter({ store, limit: 2, windowSec: 0.5 });
      await limiter.hit(id);
      await limiter.hit(id);
      const refused = await limiter.hit(id);
      expect(refused.allowed).toBe(false);
      await sleep(refused.resetIn + 0.25);
      expect(await limiter.hit(id)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('counts every id apart, and limiters with different keyPrefixes apart', async () => {
      const login = new RateLimiter({ store, limit: 1, windowSec: 60, keyPrefix: 'login:' });
      const api = new RateLimiter({ store, limit: 1, windowSec: 60, keyPrefix: 'api:' });
      expect((await login.hit(id)).allowed).toBe(true);
      expect((await login.hit(`${id}-other`)).allowed).toBe(true);
      expect((await api.hit(id)).allowed).toBe(true);
      expect((await login.hit(id)).allowed).toBe(false);
      expect(await store.exists(`login:${id}`)).toBe(true);
    });

    it('gives a counter that lost its expiry (a foreign write) a window again, keeping its count', async () => {
      await store.set(id, '2');
      const limiter = new RateLimiter({ store, limit: 5, windowSec: 60 });
      expect(await limiter.hit(id)).toEqual({ allowed: true, limit: 5, remaining: 2, resetIn: 60 });
      const left = await store.expiresIn(id);
      expect(left).toBeGreaterThan(50);
      expect(left).toBeLessThanOrEqual(60);
    });

    it('rejects with STORE_INVALID_VALUE when the key holds a non-counter, leaving it alone', async () => {
      await store.set(id, 'not a number');
      const limiter = new RateLimiter({ store, limit: 5, windowSec: 60 });
      await expect(limiter.hit(id)).rejects.toMatchObject({ code: 'STORE_INVALID_VALUE' });
      expect(new TextDecoder().decode((await store.get(id)) ?? undefined)).toBe('not a number');
    });

    it("rejects with the store's error when the store fails, admitting nothing", async () => {
      const limiter = new RateLimiter({ store, limit: 5, windowSec: 60 });
      await store.close();
      await expect(limiter.hit(id)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    });

    it('rejects an id that is not a well-formed string with STORE_INVALID_KEY', async () => {
      const limiter = new RateLimiter({ store, limit: 5, windowSec: 60 });
      await expect(limiter.hit(42 as unknown as string)).rejects.toMatchObject({
        code: 'STORE_INVALID_KEY',
      });
      await expect(limiter.hit('\uDE00')).rejects.toMatchObject({ code: 'STORE_INVALID_KEY' });
    });
  });

  describe('get()', () => {
    it('reports an id without a window as allowed, with the whole limit and resetIn 0', async () => {
      const limiter = new RateLimiter({ store, limit: 3, windowSec: 60 });
      expect(await limiter.get(id)).toEqual({ allowed: true, limit: 3, remaining: 3, resetIn: 0 });
      expect(await store.exists(id)).toBe(false);
    });

    it('peeks at the window without counting a hit', async () => {
      const limiter = new RateLimiter({ store, limit: 3, windowSec: 60 });
      await limiter.hit(id);
      await limiter.hit(id);
      const peeked = await limiter.get(id);
      expect(peeked).toMatchObject({ allowed: true, remaining: 1 });
      expect(peeked.resetIn).toBeGreaterThan(50);
      expect(await limiter.get(id)).toMatchObject({ remaining: 1 });
      expect(await limiter.hit(id)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await limiter.get(id)).toMatchObject({ allowed: false, remaining: 0 });
    });
  });

  describe('reset()', () => {
    it('ends the window, so the next hit opens a new one', async () => {
      const limiter = new RateLimiter({ store, limit: 1, windowSec: 60 });
      await limiter.hit(id);
      expect((await limiter.hit(id)).allowed).toBe(false);
      expect(await limiter.reset(id)).toBe(true);
      expect(await limiter.hit(id)).toEqual({ allowed: true, limit: 1, remaining: 0, resetIn: 60 });
      expect(await limiter.reset(`${id}-never-seen`)).toBe(false);
    });
  });

  describe('registry', () => {
    it("keeps its counters in the registry's 'rate_limit' store, or the one named", async () => {
      const registry = new StoreRegistry({ root: store });
      await new RateLimiter({ registry, limit: 1, windowSec: 60 }).hit(id);
      await new RateLimiter({ registry, name: 'login_limit', limit: 1, windowSec: 60 }).hit(
        `${id}-login`,
      );
      expect(await store.withNamespace('rate_limit').exists(id)).toBe(true);
      expect(await store.withNamespace('login_limit').exists(`${id}-login`)).toBe(true);
      expect(await store.exists(id)).toBe(false);
      expect(registry.names()).toEqual(['rate_limit', 'login_limit']);
    });
  });
});
