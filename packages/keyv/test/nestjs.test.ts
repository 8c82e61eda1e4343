import 'reflect-metadata';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, type INestApplication, Inject, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Store } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { createKeyv, KeyvStoresAdapter } from '../src/index.js';

interface Item {
  id: string;
  by: string;
  cached: boolean;
}

/**
 * A real Nest app on a free port whose CacheModule caches in `cacheStore`: GET /items/:id
 * answers from the cache, or computes the item (naming the app) and caches it for a minute.
 * Decorators are applied as the functions they are, so no compiler support is needed.
 */
async function startApp(name: string, cacheStore: Keyv | KeyvStoresAdapter): Promise<App> {
  class ItemsController {
    readonly #cache: Cache;
    constructor(cache: Cache) {
      this.#cache = cache;
    }
    async find(id: string): Promise<Item> {
      const hit = await this.#cache.get<Omit<Item, 'cached'>>(`item:${id}`);
      if (hit != null) return { ...hit, cached: true };
      const item = { id, by: name };
      await this.#cache.set(`item:${id}`, item, 60_000);
      return { ...item, cached: false };
    }
  }
  Inject(CACHE_MANAGER)(ItemsController, undefined, 0);
  Param('id')(ItemsController.prototype, 'find', 0);
  const find = Object.getOwnPropertyDescriptor(ItemsController.prototype, 'find');
  if (find === undefined) throw new Error('ItemsController has no find()');
  Get(':id')(ItemsController.prototype, 'find', find);
  Controller('items')(ItemsController);
  class AppModule {}
  Module({
    imports: [CacheModule.register({ stores: [cacheStore] })],
    controllers: [ItemsController],
  })(AppModule);

  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    app,
    async item(id: string): Promise<Item> {
      const response = await fetch(`${url}/items/${id}`);
      expect(response.status).toBe(200);
      return (await response.json()) as Item;
    },
  };
}

interface App {
  app: INestApplication;
  item(id: string): Promise<Item>;
}

await describeEachBackend((backend) => {
  describe('NestJS CacheModule', () => {
    it.each([
      ['createKeyv(store)', (store: Store) => createKeyv(store, { namespace: 'nest' })],
      [
        'a KeyvStoresAdapter Nest wraps in its own Keyv',
        (store: Store) => new KeyvStoresAdapter(store),
      ],
    ])('serves cached values over HTTP with %s as its store', async (_, cacheStore) => {
      const store = backend.open();
      const { app, item } = await startApp('a', cacheStore(store));
      try {
        expect(await item('1')).toEqual({ id: '1', by: 'a', cached: false });
        expect(await item('1')).toEqual({ id: '1', by: 'a', cached: true });
        expect(await item('2')).toEqual({ id: '2', by: 'a', cached: false });
      } finally {
        await app.close();
      }
    });

    it('two apps with a Keyv each on one store: closing both in a row leaves the store open', async () => {
      const store = backend.open();
      const a = await startApp('a', createKeyv(store, { namespace: 'nest' }));
      const b = await startApp('b', createKeyv(store, { namespace: 'nest' }));
      expect(await a.item('1')).toEqual({ id: '1', by: 'a', cached: false });
      expect(await b.item('1')).toEqual({ id: '1', by: 'a', cached: true });
      await a.app.close();
      expect(await b.item('2')).toEqual({ id: '2', by: 'b', cached: false });
      await b.app.close();
      expect(await store.withNamespace('nest').exists('item:2')).toBe(true);
    });

    it('two apps sharing one Keyv: the second serves on after the first closed', async () => {
      const store = backend.open();
      const keyv = createKeyv(store);
      const a = await startApp('a', keyv);
      const b = await startApp('b', keyv);
      expect(await a.item('1')).toEqual({ id: '1', by: 'a', cached: false });
      await a.app.close();
      expect(await b.item('1')).toEqual({ id: '1', by: 'a', cached: true });
      expect(await b.item('2')).toEqual({ id: '2', by: 'b', cached: false });
      await b.app.close();
      expect(await keyv.get('item:2')).toEqual({ id: '2', by: 'b' });
    });
  });
});
