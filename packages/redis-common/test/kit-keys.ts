import { startTestServer } from '@stores/conformance/servers';
import { type Store, StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import type { RedisLikeClient } from '../src/client.js';
import { matchPattern, rootPrefix } from '../src/key-layout.js';
import { type Backend, type KitClient, load, raw, scanCount, uid, utf8 } from './kit-support.js';

/** Every key `keys()` yields, in order, duplicates kept. */
async function collect(store: Store, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys(prefix === undefined ? undefined : { prefix })) keys.push(key);
  return keys;
}

/** Writes `keys` through `store`, a thousand calls in flight. */
async function setAll(store: Store, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((key) => store.set(key, 'v')));
  }
}

/** How many SCAN commands the server has run. */
async function scanCalls(client: RedisLikeClient): Promise<number> {
  const stats = String(await raw(client, 'INFO', 'commandstats'));
  return Number(/cmdstat_scan:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

// Namespace names and prefixes full of the characters SCAN MATCH treats as a glob.
const GLOB = '*?[a]\\';

/** keys() against a standalone server: what it skips, how it stops, and SCAN's repeats. */
export function describeKeys<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
): void {
  describe('keys()', () => {
    it('yields its own keys once each, skipping child namespaces, siblings and non-UTF-8 keys', async () => {
      const namespace = `keys-${uid()}${GLOB}`;
      const store = backend.createStore({ client, namespace });
      const sibling = backend.createStore({ client, namespace: `${namespace}x` });
      const own = [...Array.from({ length: 3000 }, (_, i) => `k${i}`), '', GLOB, `${GLOB}k`];
      await setAll(store, own);
      await setAll(store.withNamespace('c'), own);
      await setAll(store.withNamespace('c').withNamespace('d'), own);
      await setAll(sibling, own);
      // A foreign key under the prefix that no string key maps to: not UTF-8.
      await raw(
        client,
        'SET',
        Buffer.concat([utf8(`${namespace}:`), Buffer.from([0xc3, 0x28])]),
        'v',
      );
      const keys = await collect(store);
      expect(keys.length).toBe(own.length);
      expect(new Set(keys)).toEqual(new Set(own));
      expect(new Set(await collect(store, GLOB))).toEqual(new Set([GLOB, `${GLOB}k`]));
      expect(await collect(store.withNamespace('c'), 'k2999')).toEqual(['k2999']);
      await store.deleteAll();
      await sibling.deleteAll();
    }, 30_000);

    it('stops scanning when the loop breaks', async () => {
      const namespace = `break-${uid()}`;
      const store = backend.createStore({ client, namespace });
      await setAll(
        store,
        Array.from({ length: 20_000 }, (_, i) => `k${i}`),
      );
      const before = await scanCalls(client);
      for await (const _ of store.keys()) break;
      await new Promise((resolve) => setTimeout(resolve, 100)); // a stray SCAN would land by now
      expect((await scanCalls(client)) - before).toBe(1); // 20k keys take five pages
      await store.deleteAll();
    }, 30_000);

    it('yields each key once while the server shrinks its hash table under the scan', async (ctx) => {
      // SCAN returns keys of the page just read again when the table shrinks mid-scan. Make it
      // shrink three times: many foreign keys, deleted while keys() runs, loaded again.
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const ownedClient = backend.connect(owned.url);
      const store = backend.createStore({ client: ownedClient, namespace: 'mine' });
      const foreign = Array.from({ length: 200_000 }, (_, i) => utf8(`foreign:${i}`));
      try {
        const own = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
        await setAll(store, own);
        await load(ownedClient, foreign);
        const keys: string[] = [];
        let cycles = 0;
        for await (const key of store.keys()) {
          keys.push(key);
          if (keys.length % 2000 !== 1 || cycles === 3) continue;
          cycles++;
          await scanCount(ownedClient, utf8('foreign:*'), true);
          await new Promise((resolve) => setTimeout(resolve, 1000)); // serverCron resizes at 10 Hz
          if (cycles < 3) await load(ownedClient, foreign);
        }
        expect(cycles).toBe(3);
        expect(keys.length).toBe(own.length);
        expect(new Set(keys)).toEqual(new Set(own));
      } finally {
        await ownedClient.quit();
        await owned.stop();
      }
    }, 60_000);
  });
}

/** keys() on a cluster: every master, glob characters, child namespaces, 100k keys. */
export function describeClusterKeys<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
): void {
  const masters = (): RedisLikeClient[] => client.nodes?.('master') ?? [];

  describe('keys() on a cluster', () => {
    it('streams 100k keys spread over every master once each, not child or sibling keys', async () => {
      const namespace = `keys-${uid()}${GLOB}`;
      const store = backend.createStore({ client, namespace });
      const child = store.withNamespace(GLOB);
      const sibling = backend.createStore({ client, namespace: `${namespace}x` });
      const prefixed = Array.from({ length: 10_000 }, (_, i) => `${GLOB}${i}`);
      const own = [...Array.from({ length: 90_000 }, (_, i) => `k${i}`), ...prefixed];
      await setAll(store, own);
      await setAll(child, own.slice(0, 20_000));
      await setAll(sibling, own.slice(0, 20_000));
      const pattern = matchPattern(rootPrefix(namespace, false));
      const perMaster = await Promise.all(masters().map((node) => scanCount(node, pattern)));
      expect(perMaster.filter((count) => count > 0).length).toBe(3); // really spread out
      const keys = await collect(store);
      expect(keys.length).toBe(own.length);
      expect(new Set(keys)).toEqual(new Set(own));
      const withPrefix = await collect(store, GLOB);
      expect(withPrefix.length).toBe(prefixed.length);
      expect(new Set(withPrefix)).toEqual(new Set(prefixed));
      expect(await collect(child, 'k19999')).toEqual(['k19999']);
      await store.deleteAll();
      await sibling.deleteAll();
    }, 120_000);

    it('rejects with STORE_CONNECTION while a slot migrates, and works again once it is stable', async () => {
      const namespace = `migrating-${uid()}`;
      const store = backend.createStore({ client, namespace });
      await setAll(store, ['a', 'b', 'c']);
      const [source, target] = masters();
      if (source === undefined || target === undefined) throw new Error('2 masters needed');
      const idOf = async (node: RedisLikeClient): Promise<string> =>
        String(await raw(node, 'CLUSTER', 'MYID'));
      const nodes = String(await raw(source, 'CLUSTER', 'NODES'));
      const mine = nodes.split('\n').find((line) => line.includes('myself')) ?? '';
      const slot = (mine.split(' ')[8] ?? '').split('-')[0] ?? '';
      const [sourceId, targetId] = [await idOf(source), await idOf(target)];
      await raw(target, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await raw(source, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      try {
        for (const call of [() => collect(store), () => store.deleteAll()]) {
          const error = await call().catch((e: unknown) => e);
          expect(StoreError.is(error, 'STORE_CONNECTION')).toBe(true);
          expect((error as Error).message).toContain(`the keys of slot ${slot} are being migrated`);
        }
      } finally {
        await raw(source, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
        await raw(target, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
      }
      expect(new Set(await collect(store))).toEqual(new Set(['a', 'b', 'c']));
      await store.deleteAll();
    });
  });
}
