/**
 * Write coalescing against real servers: the commands a store sends in one tick leave in a few
 * socket writes, in order, on a standalone server and on every node of a cluster, for Redis
 * and Valkey; commands caught by a dropped connection are resent.
 */
import { startTestCluster, startTestServer } from '@stores/conformance/servers';
import type { Store } from '@stores/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend as redis } from '../../redis/test/backend.js';
import { backend as valkey } from '../../valkey/test/backend.js';
import type { Socket } from '../src/client.js';
import { type Backend, type KitClient, noServer, raw, uid } from './kit-support.js';

const IN_FLIGHT = 64;

/** Counts the writes that reach the socket's handle (one `write(2)` each) from now on. */
function countWrites(socket: Socket | null | undefined): () => number {
  const writable = socket as unknown as Record<'_write' | '_writev', (...args: never[]) => void>;
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = writable[method];
    writable[method] = (...args: never[]) => {
      writes++;
      original.apply(writable, args);
    };
  }
  return () => writes;
}

/** The write counters of every node socket of `client` (itself if standalone). */
function countAllWrites(client: KitClient): () => number {
  const nodes = client.isCluster ? (client.nodes?.('all') ?? []) : [client];
  const counters = nodes.map((node) => countWrites(node.stream));
  return () => counters.reduce((sum, count) => sum + count(), 0);
}

async function setMany(store: Store, keys: string[]): Promise<void> {
  await Promise.all(keys.map((key) => store.set(key, `value of ${key}`, { expiresIn: 60 })));
}

for (const backend of [redis, valkey] as Backend<KitClient>[]) {
  describe(`${backend.name} write coalescing`, async () => {
    const [server, cluster] = await Promise.all([
      startTestServer(backend.kind),
      startTestCluster(backend.kind),
    ]);
    afterAll(async () => {
      await Promise.all([server?.stop(), cluster?.stop()]);
    });
    if (server === undefined) {
      noServer(`${backend.name} write coalescing`);
      return;
    }

    describe('standalone', () => {
      let client: KitClient;
      let store: Store;
      beforeAll(async () => {
        client = backend.connect(server.url);
        await raw(client, 'PING');
        store = backend.createStore({ client, namespace: `coalesce-${uid()}` });
      });
      afterAll(async () => {
        await store.deleteAll();
        await store.close();
        await client.quit();
      });

      it('writes each command separately without the store (the counter counts writes)', async () => {
        const count = countWrites(client.stream);
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, (_, i) =>
            raw(client, 'SET', `coalesce-raw-${uid()}-${i}`, 'x', 'PX', 60_000),
          ),
        );
        expect(count()).toBeGreaterThan(IN_FLIGHT / 2);
      });

      it('sends the commands of one tick in far fewer writes than commands', async () => {
        const keys = Array.from({ length: IN_FLIGHT }, (_, i) => `k${i}`);
        const count = countWrites(client.stream);
        await setMany(store, keys);
        expect(count()).toBeLessThanOrEqual(4);
        const values = await Promise.all(keys.map((key) => store.get(key)));
        expect(values.map((value) => Buffer.from(value ?? []).toString())).toEqual(
          keys.map((key) => `value of ${key}`),
        );
      });

      it('writes a long tick 32 commands at a time, so the server starts on them early', async () => {
        const keys = Array.from({ length: 320 }, (_, i) => `long-${i}`);
        const count = countWrites(client.stream);
        await setMany(store, keys);
        // 320 in one tick: 10 writes of 32 (a reply read may add a write or two of its own).
        expect(count()).toBeGreaterThanOrEqual(10);
        expect(count()).toBeLessThanOrEqual(14);
      });

      it('keeps the order of the commands sent in one tick', async () => {
        const key = `order-${uid()}`;
        // More than one write's worth: the order holds across the writes of a tick.
        const writes = Array.from({ length: 3 * IN_FLIGHT }, (_, i) => store.set(key, String(i)));
        const [first, deleted, second, absent] = [
          store.get(key),
          store.delete(key),
          store.setIfAbsent(key, 'last'),
          store.setIfAbsent(key, 'too late'),
        ];
        await Promise.all(writes);
        expect(Buffer.from((await first) ?? []).toString()).toBe(String(3 * IN_FLIGHT - 1));
        expect(await deleted).toBe(true);
        expect(await second).toBe(true);
        expect(await absent).toBe(false);
        expect(Buffer.from((await store.get(key)) ?? []).toString()).toBe('last');
      });

      it('resends the commands of a tick whose connection drops before they are flushed', async () => {
        const keys = Array.from({ length: IN_FLIGHT }, () => `dropped-${uid()}`);
        const written = setMany(store, keys);
        // The corked bytes never leave this socket.
        (client.stream as unknown as { destroy(): void }).destroy();
        await written;
        const found = await Promise.all(keys.map((key) => store.exists(key)));
        expect(found).toEqual(keys.map(() => true));
      });
    });

    describe('cluster', () => {
      if (cluster === undefined) {
        noServer(`${backend.name} write coalescing (cluster)`);
        return;
      }
      let client: KitClient;
      let store: Store;
      beforeAll(async () => {
        client = backend.connectCluster(cluster.nodes);
        store = backend.createStore({ client, namespace: `coalesce-${uid()}` });
        await store.deleteAll(); // connects to every master
      });
      afterAll(async () => {
        await store.deleteAll();
        await store.close();
        await client.quit();
      });

      it('sends the commands of one tick to each node in far fewer writes than commands', async () => {
        const keys = Array.from({ length: IN_FLIGHT }, (_, i) => `k${i}`);
        const count = countAllWrites(client);
        await setMany(store, keys);
        expect(count()).toBeLessThanOrEqual(4 * (client.nodes?.('all').length ?? 0));
        expect(count()).toBeLessThan(IN_FLIGHT / 2);
        const values = await Promise.all(keys.map((key) => store.get(key)));
        expect(values.map((value) => Buffer.from(value ?? []).toString())).toEqual(
          keys.map((key) => `value of ${key}`),
        );
      });
    });
  });
}
