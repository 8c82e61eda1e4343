import { describeEachBackend } from '@stores/test-backends';
import { createCache } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { describe, expect, it } from 'vitest';
import { createKeyv } from '../src/index.js';

await describeEachBackend((backend) => {
  describe('cache-manager', () => {
    it('sets, gets, reports the ttl of and deletes entries through createCache({ stores: [keyv] })', async () => {
      const store = backend.open();
      const cache = createCache({ stores: [createKeyv(store, { namespace: 'cm' })] });
      const before = Date.now();
      expect(await cache.set('user:1', { name: 'Ada' }, 60_000)).toEqual({ name: 'Ada' });
      expect(await cache.get('user:1')).toEqual({ name: 'Ada' });
      const expires = await cache.ttl('user:1');
      expect(expires).toBeGreaterThanOrEqual(before + 60_000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
      const remaining = await store.withNamespace('cm').expiresIn('user:1');
      expect(remaining).toBeGreaterThan(50);
      expect(remaining).toBeLessThanOrEqual(60);
      expect(await cache.del('user:1')).toBe(true);
      expect(await cache.get('user:1')).toBeUndefined();
      expect(await store.withNamespace('cm').exists('user:1')).toBe(false);
      await cache.disconnect();
      expect(await store.exists('anything')).toBe(false); // the store is still open
    });

    it('computes a wrapped value once and serves it from the store after', async () => {
      const cache = createCache({ stores: [createKeyv(backend.open())] });
      let calls = 0;
      const compute = async () => ({ n: ++calls });
      expect(await cache.wrap('k', compute, 60_000)).toEqual({ n: 1 });
      expect(await cache.wrap('k', compute, 60_000)).toEqual({ n: 1 });
      expect(calls).toBe(1);
    });
  });

  describe('cacheable', () => {
    it('keeps its secondary tier in the store, where another instance finds it', async () => {
      const store = backend.open();
      const writer = new Cacheable({ secondary: createKeyv(store) });
      await writer.set('k', { v: 1 }, '1m');
      expect(await store.exists('k')).toBe(true);
      const reader = new Cacheable({ secondary: createKeyv(store) });
      expect(await reader.get('k')).toEqual({ v: 1 });
      expect(await reader.has('k')).toBe(true);
      expect(await writer.delete('k')).toBe(true);
      expect(await new Cacheable({ secondary: createKeyv(store) }).get('k')).toBeUndefined();
      await writer.disconnect();
      await reader.disconnect();
      expect(await store.exists('k')).toBe(false); // the store is still open
    });
  });
});
