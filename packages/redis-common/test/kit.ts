/**
 * The backend tests of @stores/redis and @stores/valkey, written once: each package's test
 * files call these with its store class and client library. Real servers only, found by
 * `@stores/conformance/servers` (an env URL, Testcontainers, or the local binary).
 */
import { runStoreConformance } from '@stores/conformance';
import {
  startTestCluster,
  startTestServer,
  type TestCluster,
  type TestServer,
} from '@stores/conformance/servers';
import { MAX_DURATION_MS, type Store, StoreError } from '@stores/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedisLikeClient } from '../src/client.js';
import { hashSlot } from '../src/hash-slot.js';
import { childPrefix, entryKey, parseEntryKey, rootPrefix } from '../src/key-layout.js';
import { describeAtomicOperations } from './kit-atomic.js';
import { describeConnectionErrors } from './kit-connection.js';
import { describeClusterDeleteAll, describeDeleteAllScript } from './kit-delete-all.js';
import { describeClusterKeys, describeKeys } from './kit-keys.js';
import { describeRenewTransactions } from './kit-renew.js';
import {
  type Backend,
  FF,
  type KitClient,
  type KitStoreOptions,
  load,
  noServer,
  raw,
  rejectionCode,
  type StoreHandle,
  scanCount,
  startPinger,
  uid,
  utf8,
} from './kit-support.js';

export type { Backend, KitClient, KitStoreOptions, NodeAddress } from './kit-support.js';

/** The conformance suite against a standalone server and against a 3-master cluster. */
export async function defineConformanceTests<Client extends KitClient>(
  backend: Backend<Client>,
): Promise<void> {
  const [server, cluster] = await Promise.all([
    startTestServer(backend.kind),
    startTestCluster(backend.kind),
  ]);
  for (const [where, target] of [
    ['standalone', server],
    ['cluster', cluster],
  ] as const) {
    if (target === undefined) {
      noServer(`${backend.name} conformance (${where})`);
      continue;
    }
    const client =
      'url' in target ? backend.connect(target.url) : backend.connectCluster(target.nodes);
    const namespaces: string[] = [];
    afterAll(async () => {
      // Leave a shared server as found: every namespace the suite used, then the client.
      for (const namespace of namespaces) {
        await backend.createStore({ client, namespace }).deleteAll();
      }
      await client.quit();
      await target.stop();
    }, 60_000);
    const run = `conformance-${uid()}`;
    const newNamespace = (): string => {
      const namespace = `${run}-${namespaces.length}`;
      namespaces.push(namespace);
      return namespace;
    };
    // The multi-process cases open the same store in child processes through sharedModule.
    const newHandle = (): StoreHandle =>
      'url' in target
        ? { url: target.url, namespace: newNamespace() }
        : { nodes: target.nodes, namespace: newNamespace() };
    runStoreConformance(
      `${backend.name} (${where}, ${backend.kind})`,
      () => backend.createStore({ client, namespace: newNamespace() }),
      // A remote-server store makes hundreds of round trips in some cases; on a shared, loaded
      // machine they can take longer than the default 15 s. Timing only, never semantics.
      { shared: { module: backend.sharedModule, newHandle }, timeoutMs: 30_000 },
    );
  }
}

/**
 * Backend-specific behaviour: key layout, ownership, atomic operations, keys, deleteAll, value
 * copies, errors, connection errors, failures, cluster.
 */
export async function defineBackendTests<Client extends KitClient>(
  backend: Backend<Client>,
): Promise<void> {
  const server = await startTestServer(backend.kind);
  if (server === undefined) {
    noServer(`${backend.name} behaviour`);
    return;
  }
  const client = backend.connect(server.url);
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });
  describeKeyLayout(backend, client, server.url);
  describeOwnership(backend, client, server);
  describeAtomicOperations(backend, client, server);
  describeKeys(backend, client);
  describeDeleteAll(backend, client, server);
  describeDeleteAllScript(backend, client, server);
  describeValues(backend, client, server);
  describeRenewTransactions(backend, client, server);
  describeErrors(backend, client);
  describeConnectionErrors(backend, client, server);
  describeFailures(backend);
  await describeCluster(backend);
}

function describeKeyLayout<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  url: string,
): void {
  describe('key layout', () => {
    it('writes root key k of namespace N as the bytes N:k, value bytes and ms TTL unchanged', async () => {
      const namespace = `layout-${uid()}`;
      const store = backend.createStore({ client, namespace });
      const value = new Uint8Array([0, 255, 1, 128]);
      await store.set('a:b', value, { expiresIn: 60.5 });
      expect(await raw(client, 'GET', `${namespace}:a:b`)).toEqual(Buffer.from(value));
      const pttl = Number(await raw(client, 'PTTL', `${namespace}:a:b`));
      expect(pttl).toBeGreaterThan(59_000);
      expect(pttl).toBeLessThanOrEqual(60_500);
      await store.close();
    });

    it('defaults the namespace to STORES', async () => {
      const key = `default-${uid()}`;
      const store = backend.createStore({ client });
      await store.set(key, 'x');
      expect(await raw(client, 'GET', `STORES:${key}`)).toEqual(utf8('x'));
      await store.delete(key);
    });

    it('writes child namespaces as name bytes plus 0xFF after the parent prefix', async () => {
      const namespace = `layout-${uid()}`;
      const store = backend.createStore({ client, namespace });
      await store.withNamespace('a').withNamespace('b:c').set('k', 'nested');
      const expected = Buffer.concat([utf8(`${namespace}:a`), FF, utf8('b:c'), FF, utf8('k')]);
      expect(await raw(client, 'GET', expected)).toEqual(utf8('nested'));
      await store.deleteAll();
    });

    it('writes keys as they are when unscoped, and scopes its children', async () => {
      const key = `unscoped-${uid()}`;
      const store = backend.createStore({ client, namespace: null });
      await store.set(key, 'plain');
      await store.withNamespace(key).set('k', 'child');
      expect(await raw(client, 'GET', key)).toEqual(utf8('plain'));
      expect(await raw(client, 'GET', Buffer.concat([utf8(key), FF, utf8('k')]))).toEqual(
        utf8('child'),
      );
      await store.withNamespace(key).deleteAll();
      await store.delete(key);
    });

    it('writes {N}:k with hashTag', async () => {
      const namespace = `tag-${uid()}`;
      const store = backend.createStore({ client, namespace, hashTag: true });
      await store.set('k', 'tagged');
      expect(await raw(client, 'GET', `{${namespace}}:k`)).toEqual(utf8('tagged'));
      await store.deleteAll();
    });

    it('maps distinct (namespace path, key) pairs to distinct keys that decode back', async () => {
      const namespace = `inject-${uid()}`;
      const root = backend.createStore({ client, namespace });
      // Pairs that a naive join (`:`, `_`, `/`, escaping) would confuse.
      const names = ['a', 'b', 'a:b', 'a_b', 'a/b', 'b:k', ':', '\\', '\\:', 'ÿ', '*'];
      const keys = ['', 'k', 'b:k', 'a:b:k', ':k', 'b\\:k', '\u00ff', '\uffff'];
      const entries: { path: string[]; key: string }[] = [];
      for (const key of keys) {
        entries.push({ path: [], key });
        for (const a of names) {
          entries.push({ path: [a], key });
          for (const b of names) entries.push({ path: [a, b], key });
        }
      }
      const storeOf = (path: string[]): Store =>
        path.reduce<Store>((store, name) => store.withNamespace(name), root);
      await Promise.all(entries.map((e, i) => storeOf(e.path).set(e.key, String(i))));
      const values = await Promise.all(entries.map((e) => storeOf(e.path).get(e.key)));
      expect(values.map((v) => Buffer.from(v ?? []).toString())).toEqual(
        entries.map((_, i) => String(i)),
      );
      const prefix = rootPrefix(namespace, false);
      const count = await scanCount(client, Buffer.concat([prefix, utf8('*')]));
      expect(count).toBe(entries.length);
      for (const e of entries) {
        const redisKey = entryKey(
          e.path.reduce((p, name) => childPrefix(p, name), prefix),
          e.key,
        );
        expect(parseEntryKey(redisKey, prefix)).toEqual(e);
      }
      await root.deleteAll();
    });

    it('reads a key a Litestar app wrote (LITESTAR:k with a TTL) with the same bytes and TTL', async () => {
      const key = `sess-${uid()}`;
      const value = Buffer.from([0x80, 0x04, 0x95, 0xff, 0x00]); // a pickle-ish, non-UTF-8 value
      await raw(client, 'SET', `LITESTAR:${key}`, value, 'EX', 60);
      const store = backend.fromUrl(url, { namespace: 'LITESTAR' });
      expect(await store.get(key)).toEqual(new Uint8Array(value));
      const expiresIn = await store.expiresIn(key);
      expect(expiresIn).toBeGreaterThan(59);
      expect(expiresIn).toBeLessThanOrEqual(60);
      await store.delete(key);
      await store.close();
    });
  });
}

function describeOwnership<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  testServer: TestServer,
): void {
  // Whether the server still has a connection named `name`. QUIT is answered just before
  // the server drops the connection, so wait (bounded) for it to go.
  const connected = async (name: string, expected: boolean): Promise<boolean> => {
    for (let i = 0; i < 50; i++) {
      const list = String(await raw(client, 'CLIENT', 'LIST', 'TYPE', 'normal'));
      if (list.includes(`name=${name} `) === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return String(await raw(client, 'CLIENT', 'LIST', 'TYPE', 'normal')).includes(`name=${name} `);
  };

  describe('ownership', () => {
    it('closes the client it created from a URL (fromUrl and { url })', async () => {
      for (const make of [
        (connectionName: string) =>
          backend.fromUrl(testServer.url, { clientOptions: { connectionName } }),
        (connectionName: string) =>
          backend.createStore({ url: testServer.url, clientOptions: { connectionName } }),
      ]) {
        const name = `own-${uid()}`;
        const store = make(name);
        await store.set('k', 'v');
        expect(await connected(name, true)).toBe(true);
        await store.close();
        await store.close(); // idempotent
        expect(await connected(name, false)).toBe(false);
      }
    });

    it('leaves a given client open, unless closeClient: true', async () => {
      const name = `borrowed-${uid()}`;
      const borrowed = backend.connect(testServer.url);
      await raw(borrowed, 'CLIENT', 'SETNAME', name);
      const store = backend.createStore({ client: borrowed, namespace: `own-${uid()}` });
      await store.set('k', 'v');
      await store.withNamespace('child').close();
      await store.close();
      expect(await raw(borrowed, 'PING')).toEqual(utf8('PONG'));
      expect(await connected(name, true)).toBe(true);
      const owning = backend.createStore({ client: borrowed, closeClient: true });
      await owning.close();
      expect(await connected(name, false)).toBe(false);
    });

    it('works on a client with enableAutoPipelining (every command the store sends)', async () => {
      // ioredis 6 breaks callBuffer under auto-pipelining (an uncaught TypeError): the store
      // must only use commands that survive it.
      const store = backend.fromUrl(testServer.url, {
        namespace: `pipe-${uid()}`,
        clientOptions: { enableAutoPipelining: true },
      });
      try {
        const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
        await Promise.all(keys.map((key) => store.set(key, key, { expiresIn: 100 })));
        const values = await Promise.all(keys.map((key) => store.get(key, { renewFor: 200 })));
        expect(values.map((value) => value && Buffer.from(value).toString())).toEqual(keys);
        expect(await store.expiresIn('k0')).toBeGreaterThan(100);
        expect(await store.exists('k1')).toBe(true);
        await store.delete('k1');
        expect(await store.get('k1')).toBeNull();
        await store.withNamespace('child').set('k', 'v');
        await store.deleteAll();
        expect(await store.exists('k0')).toBe(false);
        expect(await store.withNamespace('child').exists('k')).toBe(false);
      } finally {
        await store.close();
      }
    });

    it("keeps its commands among the application's, in order, on a lent client that auto-pipelines", async () => {
      // Such a client queues each named-method call into a pipeline sent at the end of the
      // tick; a store command sent around that queue would overtake the application's writes.
      const lent = backend.connect(testServer.url);
      (lent.options as { enableAutoPipelining?: boolean }).enableAutoPipelining = true;
      const namespace = `order-${uid()}`;
      const store = backend.createStore({ client: lent, namespace });
      const write = lent.set.bind(lent) as (key: Buffer, value: string) => Promise<unknown>;
      try {
        for (let round = 0; round < 20; round++) {
          const key = entryKey(rootPrefix(namespace, false), `k${round}`);
          await write(key, 'old');
          const [, read] = await Promise.all([write(key, `new ${round}`), store.get(`k${round}`)]);
          expect(read && Buffer.from(read).toString()).toBe(`new ${round}`);
        }
        await store.deleteAll();
      } finally {
        await store.close();
        await lent.quit();
      }
    });

    it('never closes the client from a child; closing the root closes every child', async () => {
      const store = backend.fromUrl(testServer.url, { namespace: `own-${uid()}` });
      const child = store.withNamespace('child');
      await child.close();
      await expect(rejectionCode(child.get('k'))).resolves.toBe('STORE_CLOSED');
      await store.set('k', 'still open');
      const other = store.withNamespace('other');
      await store.close();
      await expect(rejectionCode(store.get('k'))).resolves.toBe('STORE_CLOSED');
      await expect(rejectionCode(other.set('k', 'v'))).resolves.toBe('STORE_CLOSED');
    });

    it('rejects invalid options with STORE_INVALID_ARGUMENT', () => {
      const bad: KitStoreOptions<Client>[] = [
        { client, namespace: '' },
        { client, namespace: 5 as unknown as string },
        { client, namespace: '\ud800' },
        { client, namespace: null, hashTag: true },
        { client, namespace: 'a{b', hashTag: true },
        { client, commandTimeoutMs: 0 },
        { client, url: testServer.url },
        { url: testServer.url, closeClient: true },
        { client: {} as Client },
        { client, ttl: 5 } as KitStoreOptions<Client>,
      ];
      for (const options of bad) {
        expect(() => backend.createStore(options), JSON.stringify(options.namespace)).toThrow(
          expect.objectContaining({ code: 'STORE_INVALID_ARGUMENT' }),
        );
      }
    });
  });
}

function describeDeleteAll<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  testServer: TestServer,
): void {
  describe('deleteAll()', () => {
    it('takes glob characters in names literally and leaves siblings sharing a prefix', async () => {
      const id = uid();
      const names = ['a', 'ab', 'a*', '*', '?', '[a]', 'a\\', '\\*', 'a]'];
      const roots = names.map((name) => backend.createStore({ client, namespace: `${id}${name}` }));
      const children = names.map((name) => roots[0]?.withNamespace(name) as Store);
      const all = [...roots, ...children];
      await Promise.all(all.map((store) => store.set('k', 'v')));
      await Promise.all(all.map((store) => store.withNamespace('deeper').set('k', 'v')));
      for (const [i, store] of all.entries()) {
        if (i === 0) continue; // roots[0] is the parent of the children: last
        await store.deleteAll();
        expect(await store.exists('k')).toBe(false);
        expect(await store.withNamespace('deeper').exists('k')).toBe(false);
        const survivors = await Promise.all(all.slice(i + 1).map((s) => s.exists('k')));
        expect(survivors.every(Boolean)).toBe(true);
      }
      expect(await roots[0]?.exists('k')).toBe(true);
      await roots[0]?.deleteAll();
      expect(await roots[0]?.exists('k')).toBe(false);
    });

    it('rejects with STORE_NAMESPACE_REQUIRED on an unscoped store, deletes nothing', async () => {
      const key = `unscoped-${uid()}`;
      const store = backend.createStore({ client, namespace: null });
      await store.set(key, 'v');
      await expect(rejectionCode(store.deleteAll())).resolves.toBe('STORE_NAMESPACE_REQUIRED');
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
    });

    it('deletes 100k keys among 100k foreign keys, leaving every foreign key', async () => {
      const id = `bulk-${uid()}`;
      const root = rootPrefix(id, false);
      const mine = Array.from({ length: 100_000 }, (_, i) =>
        i % 2 === 0
          ? entryKey(root, String(i))
          : entryKey(childPrefix(childPrefix(root, 'c'), String(i % 7)), String(i)),
      );
      const foreign = Array.from({ length: 100_000 }, (_, i) =>
        utf8([`${id}x:${i}`, `${id}_c:${i}`, `${id}${i}`, `${id.slice(0, -1)}:${i}`][i % 4] ?? ''),
      );
      const t0 = performance.now();
      await load(client, [...mine, ...foreign]);
      const loadMs = performance.now() - t0;

      // Another process PINGs throughout, so its slowest reply is the server's longest stall
      // and not this process's event loop, busy with the deleteAll.
      const pinger = await startPinger(testServer.host, testServer.port);
      const store = backend.createStore({ client, namespace: id });
      const t1 = performance.now();
      await store.deleteAll();
      const deleteMs = performance.now() - t1;
      const { maxPingMs, pings } = await pinger.stop();
      console.log(
        `[${backend.name}] loaded 200k keys in ${loadMs.toFixed(0)} ms; deleteAll of 100k ` +
          `keys among 100k foreign: ${deleteMs.toFixed(0)} ms, longest PING ` +
          `${maxPingMs.toFixed(2)} ms over ${pings} pings`,
      );
      expect(await scanCount(client, Buffer.concat([root, utf8('*')]))).toBe(0);
      let survivors = 0;
      for (const pattern of [`${id}x:*`, `${id}_c:*`, `${id}[0-9]*`, `${id.slice(0, -1)}:*`]) {
        survivors += await scanCount(client, utf8(pattern), true);
      }
      expect(survivors).toBe(100_000);
    }, 120_000);
  });
}

function describeValues<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  testServer: TestServer,
): void {
  describe('get()', () => {
    it('hands out every value in an ArrayBuffer of its own: .buffer reveals and changes nothing else', async () => {
      // Replies of every size arrive in shared socket chunks; each must leave as a private copy.
      const id = uid();
      const root = backend.createStore({ client, namespace: `copies-${id}` });
      const stores = [
        root,
        root.withNamespace('a'),
        root.withNamespace('a').withNamespace('b'),
        backend.createStore({ client, namespace: `copies-${id}-other` }),
      ];
      const entries = stores.flatMap((store, s) =>
        [100, 5 * 1024, 64 * 1024].flatMap((size) =>
          Array.from({ length: 8 }, (_, i) => {
            const value = new Uint8Array(size).fill((s * 31 + i * 7 + size) % 251);
            return { store, key: `${size}-${i}`, value };
          }),
        ),
      );
      await Promise.all(entries.map(({ store, key, value }) => store.set(key, value)));
      const read = (): Promise<(Uint8Array | null)[]> =>
        Promise.all(entries.map(({ store, key }) => store.get(key)));
      // Buffer.equals: a deep toEqual over 2 MB of elements takes seconds.
      const same = (values: (Uint8Array | null)[]): boolean =>
        values.every(
          (value, i) => value !== null && Buffer.from(value).equals(entries[i]?.value ?? FF),
        );
      const first = await read();
      expect(same(first)).toBe(true);
      for (const value of first) {
        expect([value?.byteOffset, value?.buffer.byteLength]).toEqual([0, value?.byteLength]);
        if (value !== null) new Uint8Array(value.buffer).fill(0xee);
      }
      expect(same(await read())).toBe(true);
      await root.deleteAll();
      await stores[3]?.deleteAll();
    });
  });

  describe('set()', () => {
    it('stores the bytes of the call, however long the client holds the command', async () => {
      // Each value is overwritten right after the call, while its command may still wait: in
      // the offline queue of a client not yet connected, in an auto-pipeline until the next
      // tick, or written at once. Sizes cross the 64 KiB slab limit and fill several slabs.
      const id = uid();
      const stores = [
        backend.fromUrl(testServer.url, { namespace: `held-${id}-offline` }),
        backend.fromUrl(testServer.url, {
          namespace: `held-${id}-pipelined`,
          clientOptions: { enableAutoPipelining: true },
        }),
        backend.createStore({ client, namespace: `held-${id}-ready` }),
      ];
      try {
        for (const store of stores) {
          const sizes = [0, 1, 100, 5000, 64 * 1024, 64 * 1024 + 1, 200 * 1024];
          const entries = [...sizes, ...Array.from({ length: 300 }, () => 5000)].map((size, i) => ({
            key: `k${i}`,
            bytes: new Uint8Array(size).fill(i % 251),
          }));
          const writes = entries.map(({ key, bytes }, i) => {
            const caller = Buffer.from(bytes);
            const written = i % 2 === 0 ? store.set(key, caller) : store.setIfAbsent(key, caller);
            caller.fill(0xee);
            return written;
          });
          await Promise.all(writes);
          const values = await Promise.all(entries.map(({ key }) => store.get(key)));
          const wrong = entries.filter(
            ({ bytes }, i) => !Buffer.from(values[i] ?? FF).equals(bytes),
          );
          expect(wrong.map(({ key }) => key)).toEqual([]);
          await store.deleteAll();
        }
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });
  });
}

function describeErrors<Client extends KitClient>(backend: Backend<Client>, client: Client): void {
  describe('errors', () => {
    it('accepts the longest duration core allows without a server error', async () => {
      const store = backend.createStore({ client, namespace: `huge-${uid()}` });
      await store.set('k', 'v', { expiresIn: MAX_DURATION_MS / 1000 });
      expect(await store.get('k', { renewFor: MAX_DURATION_MS / 1000 })).toEqual(
        new Uint8Array(utf8('v')),
      );
      const expiresIn = await store.expiresIn('k');
      expect(expiresIn).toBeGreaterThan(1e12);
      expect(expiresIn).toBeLessThan(Number.POSITIVE_INFINITY);
      await store.deleteAll();
    });

    it('rejects with STORE_IO, keeping the reply error, when the server fails a command', async () => {
      const namespace = `errors-${uid()}`;
      await raw(client, 'RPUSH', `${namespace}:list`, 'x');
      const store = backend.createStore({ client, namespace });
      const error = await store.get('list').catch((e: unknown) => e);
      expect(StoreError.is(error, 'STORE_IO')).toBe(true);
      expect(String((error as Error).cause)).toContain('WRONGTYPE');
      await expect(rejectionCode(store.get('list', { renewFor: 1 }))).resolves.toBe('STORE_IO');
      await store.deleteAll();
    });
  });
}

function describeFailures<Client extends KitClient>(backend: Backend<Client>): void {
  describe('failures', () => {
    it('rejects with STORE_CONNECTION when the server is down, and close() still resolves', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      await owned.stop();
      const store = backend.fromUrl(owned.url, { commandTimeoutMs: 2000 });
      await expect(rejectionCode(store.set('k', 'v'))).resolves.toBe('STORE_CONNECTION');
      await expect(rejectionCode(store.get('k'))).resolves.toBe('STORE_CONNECTION');
      await store.close();
    }, 30_000);

    it('rejects with STORE_CONNECTION after commandTimeoutMs when the server does not answer', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const store = backend.fromUrl(owned.url, { commandTimeoutMs: 300 });
      await store.set('k', 'v');
      // A script that never ends: the server answers nobody (for 5 s, then only BUSY).
      const blocker = backend.connect(owned.url);
      const busy = raw(blocker, 'EVAL', 'while true do end', 0).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100)); // the script has surely started
      const error = await store.get('k').catch((e: unknown) => e);
      expect(StoreError.is(error, 'STORE_CONNECTION')).toBe(true);
      expect(String((error as Error).message)).toContain('300 ms');
      // Drop the blocked connection first: ioredis never settles a command that was pending
      // on a connection that died and was then disconnect()ed while reconnecting.
      blocker.disconnect();
      await busy;
      await owned.kill();
      await store.close();
      await owned.stop();
    }, 30_000);

    it('settles 1k calls in flight when the server dies, then serves again after a restart', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const timeoutMs = 1000;
      const store = backend.fromUrl(owned.url, {
        namespace: `restart-${uid()}`,
        commandTimeoutMs: timeoutMs,
      });
      // Large: after the first renew (by the script, now cached), renews run as transactions.
      const warm = 'w'.repeat(8000);
      await store.set('warm', warm, { expiresIn: 60 });
      await store.get('warm', { renewFor: 60 });
      const watchdogMs = timeoutMs + 3000;
      const outcome = (call: Promise<unknown>): Promise<string> => {
        let timer: NodeJS.Timeout | undefined;
        const hung = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('hung'), watchdogMs);
        });
        const settled = call.then(
          () => 'succeeded',
          (e: unknown) => (StoreError.is(e, 'STORE_CONNECTION') ? 'STORE_CONNECTION' : 'other'),
        );
        return Promise.race([settled, hung]).finally(() => clearTimeout(timer));
      };
      const outcomes: Promise<string>[] = [];
      let killing: Promise<void> | undefined;
      for (let wave = 0; wave < 10; wave++) {
        // Wave 5 is sent while the server dies; waves 6-9 after it is dead.
        if (wave === 5) killing = owned.kill();
        if (wave === 6) await killing;
        for (let i = 0; i < 100; i++) {
          const key = `k${wave * 100 + i}`;
          const op = [
            () => store.set(key, 'v', { expiresIn: 60 }),
            () => store.get(key),
            () => store.get('warm', { renewFor: 60 }),
            () => store.expiresIn(key),
          ][i % 4];
          outcomes.push(outcome(op?.() ?? Promise.resolve()));
        }
        await new Promise((resolve) => setImmediate(resolve)); // let the waves interleave
      }
      const results = await Promise.all(outcomes);
      const counts: Record<string, number> = {
        succeeded: 0,
        STORE_CONNECTION: 0,
        other: 0,
        hung: 0,
      };
      for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
      console.log(`[${backend.name}] server killed mid-load, 1000 calls:`, counts);
      expect(counts.hung).toBe(0);
      expect(counts.other).toBe(0);
      expect(counts.STORE_CONNECTION).toBeGreaterThanOrEqual(400); // every call after the kill

      await owned.restart();
      // The store reconnects by itself (backoff at most 1 s); wait for that, bounded.
      let recovered = false;
      for (let i = 0; i < 100 && !recovered; i++) {
        recovered =
          (await rejectionCode(store.set('after', 'y', { expiresIn: 60 }))) === 'resolved';
        if (!recovered) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recovered).toBe(true);
      // The restarted server has no cached script: the renew falls back from EVALSHA to EVAL.
      expect(await store.get('after', { renewFor: 120 })).toEqual(new Uint8Array(utf8('y')));
      expect(await store.expiresIn('after')).toBeGreaterThan(60);
      await store.close();
      await owned.stop();
    }, 60_000);
  });
}

/** What the routing tests read and replace of a cluster client (ioredis/iovalkey internals). */
interface RoutingInternals {
  /** Per slot, the `host:port` of its master, then its replicas. */
  slots: (string[] | undefined)[];
  sendCommand(command: { name: string }): unknown;
}

async function describeCluster<Client extends KitClient>(backend: Backend<Client>): Promise<void> {
  const cluster: TestCluster | undefined = await startTestCluster(backend.kind);
  if (cluster === undefined) {
    noServer(`${backend.name} on a cluster`);
    return;
  }
  const client = backend.connectCluster(cluster.nodes);
  afterAll(async () => {
    await client.quit();
    await cluster.stop();
  });
  const masters = (): RedisLikeClient[] => client.nodes?.('master') ?? [];
  const countAll = async (pattern: Buffer): Promise<number> => {
    const counts = await Promise.all(masters().map((node) => scanCount(node, pattern)));
    return counts.reduce((a, b) => a + b, 0);
  };

  describe('on a cluster', () => {
    it('computes the slot of a key as the server does', async () => {
      const keys = [
        utf8('foo'),
        utf8('{user1000}.following'),
        utf8('{}x'),
        utf8('a{}b{c}'),
        utf8('{{a}}'),
        Buffer.concat([utf8('ns:a'), FF, utf8('k')]),
        utf8(`{${uid()}}:k`),
        utf8('ÿ€🙂'),
      ];
      const node = masters()[0];
      if (node === undefined) throw new Error('no master');
      for (const key of keys) {
        expect(hashSlot(key)).toBe(Number(await raw(node, 'CLUSTER', 'KEYSLOT', key)));
      }
    });

    it('deletes a namespace spread over every master, per slot, and nothing else', async () => {
      const id = uid();
      const store = backend.createStore({ client, namespace: id });
      const sibling = backend.createStore({ client, namespace: `${id}x` });
      const child = store.withNamespace('child');
      await Promise.all(
        Array.from({ length: 2000 }, (_, i) => [
          store.set(`k${i}`, 'v'),
          child.set(`k${i}`, 'v'),
          sibling.set(`k${i}`, 'v'),
        ]).flat(),
      );
      const perMaster = await Promise.all(
        masters().map((node) => scanCount(node, utf8(`${id}:*`))),
      );
      expect(perMaster.filter((n) => n > 0).length).toBe(3); // really spread out
      await store.deleteAll();
      expect(await countAll(utf8(`${id}:*`))).toBe(0);
      expect(await countAll(utf8(`${id}x:*`))).toBe(2000);
      await sibling.deleteAll();
      expect(await countAll(utf8(`${id}x:*`))).toBe(0);
    }, 30_000);

    it('keeps a hash-tagged namespace tree in one slot, and deletes it', async () => {
      const id = uid();
      const store = backend.createStore({ client, namespace: id, hashTag: true });
      const child = store.withNamespace('child');
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => [
          store.set(`k${i}`, 'v'),
          child.set(`k${i}`, 'v'),
        ]).flat(),
      );
      const perMaster = await Promise.all(
        masters().map((node) => scanCount(node, utf8(`{${id}}:*`))),
      );
      expect(perMaster.filter((n) => n > 0)).toEqual([1000]); // one slot, so one master
      await store.deleteAll();
      expect(await countAll(utf8(`{${id}}:*`))).toBe(0);
    }, 30_000);

    describe('routing by slot', () => {
      /**
       * Runs `test` on a cluster client of its own (closed afterwards) whose `sendCommand`
       * records the name of every command it is handed in `sent`.
       */
      const onCounted = async (
        test: (own: Client & RoutingInternals, sent: string[]) => Promise<void>,
      ): Promise<void> => {
        const own = backend.connectCluster(cluster.nodes) as Client & RoutingInternals;
        try {
          // Ready, with its slot table, and connected to every master (a node's connection
          // is made by the first command for it, which goes through the cluster client).
          await raw(own, 'PING');
          await Promise.all((own.nodes?.('master') ?? []).map((node) => raw(node, 'PING')));
          const send = own.sendCommand.bind(own);
          const sent: string[] = [];
          own.sendCommand = (command: { name: string }) => {
            sent.push(command.name);
            return send(command);
          };
          await test(own, sent);
        } finally {
          await own.quit();
        }
      };

      it("sends a key's commands to its slot's master, not through the cluster client", () =>
        onCounted(async (own, sent) => {
          const store = backend.createStore({ client: own, namespace: uid() });
          await Promise.all(Array.from({ length: 200 }, (_, i) => store.set(`k${i}`, `v${i}`)));
          const values = await Promise.all(
            Array.from({ length: 200 }, async (_, i) =>
              Buffer.from((await store.get(`k${i}`)) ?? []).toString(),
            ),
          );
          expect(values).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
          expect(sent).toEqual([]);
          await store.deleteAll();
        }));

      it('hands a command the wrong master redirects (MOVED) to the cluster client, which follows it', () =>
        onCounted(async (own, sent) => {
          const id = uid();
          const store = backend.createStore({ client: own, namespace: id, hashTag: true });
          await store.set('k', 'moved');
          const slot = hashSlot(utf8(id));
          const owner = own.slots[slot]?.[0];
          const other = own.slots.find((keys) => keys?.[0] !== owner)?.[0];
          if (owner === undefined || other === undefined) throw new Error('no second master');
          // The client's table now names the wrong master for the slot, as after a reshard.
          own.slots[slot] = [other];
          expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('moved');
          expect(sent).toEqual(['get']);
          expect(own.slots[slot]?.[0]).toBe(owner); // the client learnt the move itself
          await store.deleteAll();
        }));

      it("rejects with a command's own error (WRONGTYPE) without sending it again", () =>
        onCounted(async (own, sent) => {
          const id = uid();
          await raw(own, 'RPUSH', `{${id}}:list`, 'x');
          sent.length = 0;
          const store = backend.createStore({ client: own, namespace: id, hashTag: true });
          const error = await store.get('list').catch((e: unknown) => e);
          expect(String((error as Error).cause)).toContain('WRONGTYPE');
          expect(sent).toEqual([]);
          await store.deleteAll();
        }));
    });

    it('owns and closes a cluster client it creates from { cluster }', async () => {
      const store = backend.createStore({ cluster: { nodes: cluster.nodes }, namespace: uid() });
      await store.set('k', 'v', { expiresIn: 10 });
      expect(await store.get('k', { renewFor: 20 })).toEqual(new Uint8Array(utf8('v')));
      await store.deleteAll();
      await store.close();
      await expect(rejectionCode(store.get('k'))).resolves.toBe('STORE_CLOSED');
    });
  });
  describeClusterKeys(backend, client);
  describeClusterDeleteAll(backend, client);
}
