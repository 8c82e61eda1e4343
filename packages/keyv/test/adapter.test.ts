import { type Store, StoreError, StoreRegistry } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { createKeyv, KeyvStoresAdapter } from '../src/index.js';

const text = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : new TextDecoder().decode(bytes);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `store`, recording the name of every method called on it (children are not recorded). */
function recording(store: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return Reflect.apply(value, target, args);
      };
    },
  });
  return { store: proxy, calls };
}

await describeEachBackend((backend) => {
  describe('set()', () => {
    it("maps Keyv's ttl in ms to the store's seconds", async () => {
      const store = backend.open();
      const keyv = createKeyv(store);
      expect(await keyv.set('k', 'v', 60_000.2)).toBe(true);
      const remaining = await store.expiresIn('k');
      // 60 000.2 ms is rounded up to 60 001 ms, and never more than that is left.
      expect(remaining).toBeLessThanOrEqual(60.001);
      expect(remaining).toBeGreaterThan(50);
    });

    it('rounds a fraction of a millisecond up, never to "no expiry"', async () => {
      const store = backend.open();
      const adapter = new KeyvStoresAdapter(store);
      await adapter.set('k', 'v', 0.25);
      const remaining = await store.expiresIn('k');
      if (remaining !== null) expect(remaining).toBeLessThanOrEqual(0.001);
      await sleep(50);
      expect(await store.exists('k')).toBe(false);
    });

    it('stores without expiry for a ttl of 0, undefined or Infinity, as Keyv means them', async () => {
      const store = backend.open();
      const adapter = new KeyvStoresAdapter(store);
      await adapter.set('zero', 'v', 0);
      await adapter.set('none', 'v');
      await adapter.set('infinite', 'v', Number.POSITIVE_INFINITY);
      await createKeyv(store, { ttl: 0 }).set('keyv-zero', 'v');
      for (const key of ['zero', 'none', 'infinite', 'keyv-zero']) {
        expect(await store.expiresIn(key)).toBe(Number.POSITIVE_INFINITY);
      }
    });

    it('rejects a negative or NaN ttl with STORE_INVALID_ARGUMENT and keeps the old value', async () => {
      const store = backend.open();
      const adapter = new KeyvStoresAdapter(store);
      await adapter.set('k', 'old');
      for (const ttl of [-1, Number.NaN]) {
        await expect(adapter.set('k', 'new', ttl)).rejects.toMatchObject({
          code: 'STORE_INVALID_ARGUMENT',
          message: expect.stringContaining('ttl'),
        });
      }
      expect(text(await store.get('k'))).toBe('old');
    });

    it('stores exactly the string Keyv serialized', async () => {
      const store = backend.open();
      const keyv = createKeyv(store);
      const value = { name: 'Ada', tags: ['x'], bytes: Buffer.from('hi'), note: 'ü "quoted"' };
      await keyv.set('user:1', value);
      expect(text(await store.get('user:1'))).toBe(await keyv.serialize?.({ value }));
      expect(await keyv.get('user:1')).toEqual(value);
    });

    it('rejects a value that is not a string with STORE_INVALID_VALUE', async () => {
      const adapter = new KeyvStoresAdapter(backend.open());
      await expect(adapter.set('k', { not: 'serialized' })).rejects.toMatchObject({
        code: 'STORE_INVALID_VALUE',
        message: expect.stringContaining('serialize'),
      });
    });
  });

  describe('clear()', () => {
    it("empties its own Keyv namespace only: the store's other entries and namespaces survive", async () => {
      const root = backend.open();
      const users = createKeyv(root, { namespace: 'users' });
      const usersX = createKeyv(root, { namespace: 'users:x' });
      const sibling = createKeyv(root, { namespace: 'usersx' });
      await root.set('outside', 'root');
      await root.withNamespace('users').withNamespace('deeper').set('k', 'nested');
      await Promise.all([users.set('k', 1), usersX.set('k', 2), sibling.set('k', 3)]);
      await users.clear();
      expect(await users.get('k')).toBeUndefined();
      expect(await root.withNamespace('users').withNamespace('deeper').exists('k')).toBe(false);
      expect(await usersX.get('k')).toBe(2);
      expect(await sibling.get('k')).toBe(3);
      expect(text(await root.get('outside'))).toBe('root');
    });

    it('without a namespace empties the store it was given, not its parent or a sibling', async () => {
      const root = backend.open();
      const cache = root.withNamespace('cache');
      await root.set('k', 'parent');
      await root.withNamespace('cache2').set('k', 'sibling');
      const keyv = createKeyv(cache);
      await keyv.set('k', 'mine');
      await keyv.clear();
      expect(await keyv.get('k')).toBeUndefined();
      expect(text(await root.get('k'))).toBe('parent');
      expect(text(await root.withNamespace('cache2').get('k'))).toBe('sibling');
    });
  });

  describe('getMany(), setMany(), deleteMany(), has()', () => {
    it('set, read and delete many entries through Keyv', async () => {
      const keyv = createKeyv(backend.open(), { namespace: 'many' });
      expect(
        await keyv.setMany([
          { key: 'a', value: 1 },
          { key: 'b', value: { two: 2 }, ttl: 60_000 },
        ]),
      ).toEqual([true, true]);
      expect(await keyv.getMany(['a', 'missing', 'b'])).toEqual([1, undefined, { two: 2 }]);
      expect(await keyv.has('a')).toBe(true);
      expect(await keyv.has('missing')).toBe(false);
      expect(await keyv.hasMany(['a', 'missing'])).toEqual([true, false]);
      expect(await keyv.deleteMany(['a', 'missing'])).toBe(false);
      expect(await keyv.deleteMany(['b'])).toBe(true);
      expect(await keyv.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    });

    it('setMany() checks every entry before it writes any', async () => {
      const store = backend.open();
      const adapter = new KeyvStoresAdapter(store);
      await expect(
        adapter.setMany([
          { key: 'good', value: 'v' },
          { key: 'bad', value: 'v', ttl: -5 },
        ]),
      ).rejects.toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(await store.exists('good')).toBe(false);
    });
  });

  describe('delete()', () => {
    it("resolves whether the key held an entry from Store.delete's answer alone", async () => {
      const { store, calls } = recording(backend.open());
      const adapter = new KeyvStoresAdapter(store);
      await adapter.set('k', 'v');
      calls.length = 0;
      expect(await adapter.delete('k')).toBe(true);
      expect(await adapter.delete('k')).toBe(false);
      expect(calls).toEqual(['delete', 'delete']);
    });
  });

  describe('iterator()', () => {
    it("yields a createKeyv namespace's own entries, not those of a child namespace", async () => {
      const root = backend.open();
      const keyv = createKeyv(root, { namespace: 'iter' });
      await keyv.set('a', 1);
      await keyv.set('b:c', 2);
      await root.withNamespace('iter').withNamespace('child').set('x', 'no');
      const entries: [string, unknown][] = [];
      for await (const entry of keyv.iterator?.(undefined) ?? []) entries.push(entry);
      expect(entries.sort()).toEqual([
        ['a', 1],
        ['b:c', 2],
      ]);
    });

    it("is not offered by new Keyv() for an adapter whose dialect is not one of Keyv's own", () => {
      const keyv = new Keyv({ store: new KeyvStoresAdapter(backend.open()) });
      expect(keyv.iterator).toBeUndefined();
    });
  });

  describe('disconnect()', () => {
    it('leaves a store it was handed open, however many Keyvs disconnect however often', async () => {
      const store = backend.open();
      const first = createKeyv(store);
      const second = createKeyv(store, { namespace: 'second' });
      await first.set('k', 'v');
      await first.disconnect();
      await first.disconnect();
      await second.disconnect();
      expect(await first.get('k')).toBe('v');
      expect(text(await store.get('k'))).toContain('"v"');
    });

    it('closes the store when told it owns it (closeStore: true)', async () => {
      const store = backend.open();
      const keyv = createKeyv({ store, closeStore: true });
      await keyv.set('k', 'v');
      await keyv.disconnect();
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    });
  });

  describe('registry', () => {
    it('resolves its store by name through the registry and never closes it', async () => {
      const registry = new StoreRegistry({ root: backend.open() });
      const keyv = createKeyv({ registry, name: 'cache' }, { namespace: 'pages' });
      await keyv.set('k', 'v');
      expect(await registry.get('cache').withNamespace('pages').exists('k')).toBe(true);
      await keyv.disconnect();
      expect(await registry.get('cache').withNamespace('pages').exists('k')).toBe(true);
      await registry.close();
      expect(await keyv.get('k')).toBeUndefined();
    });
  });

  describe('errors', () => {
    async function closedKeyv(options: { throwOnErrors?: boolean } = {}) {
      const store = backend.open();
      await store.close();
      const keyv = createKeyv(store, options);
      const errors: unknown[] = [];
      keyv.on('error', (error: unknown) => errors.push(error));
      return { keyv, errors };
    }

    it('reports a failed get once as an error event and resolves undefined', async () => {
      const { keyv, errors } = await closedKeyv();
      expect(await keyv.get('k')).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(StoreError.is(errors[0], 'STORE_CLOSED')).toBe(true);
    });

    it('reports a failed set, delete or clear once (by Keyv) and resolves false', async () => {
      const { keyv, errors } = await closedKeyv();
      expect(await keyv.set('k', 'v')).toBe(false);
      expect(await keyv.delete('k')).toBe(false);
      await keyv.clear();
      expect(errors).toHaveLength(3);
      expect(errors.every((error) => StoreError.is(error, 'STORE_CLOSED'))).toBe(true);
    });

    it('rejects a failed has or getMany with the StoreError and reports it once', async () => {
      const { keyv, errors } = await closedKeyv();
      await expect(keyv.has('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(keyv.getMany(['k'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      expect(errors).toHaveLength(2);
    });

    it('rejects every failure with the StoreError under throwOnErrors', async () => {
      const { keyv } = await closedKeyv({ throwOnErrors: true });
      await expect(keyv.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(keyv.set('k', 'v')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    });
  });
});
