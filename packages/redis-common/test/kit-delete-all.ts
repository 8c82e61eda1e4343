/**
 * deleteAll's page script (one EVALSHA per SCAN page, run on each master itself) and its
 * fallback to the client-side loop: exactly the namespace's tree goes, on a standalone server
 * and on a cluster; errors stay what they were.
 */
import { startTestServer, type TestServer } from '@stores/conformance/servers';
import { type Store, StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import type { RedisLikeClient } from '../src/client.js';
import { childPrefix, entryKey, matchPattern, rootPrefix } from '../src/key-layout.js';
import { type Backend, type KitClient, raw, uid, utf8 } from './kit-support.js';

// The commands deleteAll sends the keys through; `watched` counts them.
const DELETING = new Set(['scanBuffer', 'unlink', 'evalshaBuffer', 'evalBuffer']);

/** Makes the nth call of a command fail instead of reaching the server, or lets it through. */
type Inject = (label: string, call: number) => Error | undefined;

/**
 * `client` as a store sees it, counting the deleting commands sent through it by method name
 * (`evalshaBuffer`) and through each cluster master by port and name (`7001 evalshaBuffer`).
 */
function watched<Client extends KitClient>(
  client: Client,
  inject: Inject = () => undefined,
): { client: Client; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrap = <T extends RedisLikeClient>(target: T, label: string): T =>
    new Proxy(target, {
      get: (_, property) => {
        // Without sendCommand the store sends every command through the named methods, which
        // this proxy counts (and fails where told to).
        if (property === 'sendCommand') return undefined;
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property === 'nodes') {
          return (role: 'master' | 'all') =>
            (target.nodes?.(role) ?? []).map((node) => wrap(node, `${node.options?.port} `));
        }
        if (typeof property !== 'string' || !DELETING.has(property)) return value.bind(target);
        return (...args: unknown[]) => {
          const name = `${label}${property}`;
          const call = (calls.get(name) ?? 0) + 1;
          calls.set(name, call);
          const error = inject(name, call);
          return error === undefined ? value.apply(target, args) : Promise.reject(error);
        };
      },
    });
  return { client: wrap(client, ''), calls };
}

/** An error reply as the clients raise it (`name` 'ReplyError'). */
function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

/** Every key of `nodes` matching `pattern`, as hex (sorted): what a test compares. */
async function keysOf(nodes: readonly RedisLikeClient[], pattern: Buffer): Promise<string[]> {
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = (await raw(node, 'SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
        Buffer,
        Buffer[],
      ];
      cursor = next.toString();
      for (const key of keys) found.push(key.toString('hex'));
    } while (cursor !== '0');
  }
  return found.sort();
}

/** Writes `keys` through `store`, a thousand calls in flight. */
async function setAll(store: Store, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((key) => store.set(key, 'v')));
  }
}

const count = (n: number, name = 'k'): string[] =>
  Array.from({ length: n }, (_, i) => `${name}${i}`);

/**
 * A namespace tree of several SCAN pages and, around it, every kind of key it must not touch:
 * sibling namespaces whose names extend it, glob-match it or are a prefix of it, a sibling
 * child namespace, root keys spelling the child's name, and foreign raw keys sharing the
 * prefix text (one of them not UTF-8). `check` deletes the child, then the root, and compares
 * every key of the test with exactly what each must leave; then removes the rest.
 */
async function populate<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  writer: Client,
  perStore: number,
): Promise<{ check(nodes: readonly RedisLikeClient[]): Promise<void> }> {
  const id = `page-${uid()}`;
  const namespace = `${id}*?[a]\\`;
  const root = backend.createStore({ client, namespace });
  const child = root.withNamespace('a*');
  const grandchild = child.withNamespace('b');
  const siblingChild = root.withNamespace('a*b');
  const siblings = [`${namespace}2`, `${namespace}*`, namespace.slice(0, -1)].map((name) =>
    backend.createStore({ client: writer, namespace: name }),
  );
  const keys = count(perStore);
  for (const store of [root, child, grandchild, siblingChild, ...siblings]) {
    await setAll(store, keys);
  }
  // Root keys spelling the child's name, which the child's prefix must not match.
  await setAll(root, ['a*', 'a*:k', 'a*b', 'a', '']);
  const prefix = rootPrefix(namespace, false);
  const childKeys = childPrefix(prefix, 'a*');
  const foreign = [
    ...count(perStore, `${namespace}_raw:`).map(utf8),
    ...count(perStore, `x${namespace}:`).map(utf8),
    utf8(namespace),
    utf8(`{${namespace}}:k`),
    Buffer.concat([utf8(namespace), Buffer.from([0xff]), utf8('k')]),
  ];
  // Under the root's prefix but not the child's (no string key maps to them): the root's.
  const underRoot = [
    Buffer.concat([prefix, utf8('a*'), Buffer.from([0xfe]), utf8('k')]),
    Buffer.concat([prefix, Buffer.from([0xc3, 0x28])]),
  ];
  await Promise.all([...foreign, ...underRoot].map((key) => raw(writer, 'SET', key, 'v')));
  const starts = (start: Buffer) => (hex: string) =>
    Buffer.from(hex, 'hex').subarray(0, start.length).equals(start);
  return {
    async check(nodes) {
      // Every key of this test holds the id; the id holds no glob character.
      const all = () => keysOf(nodes, utf8(`*${id}*`));
      const before = await all();
      const inChild = before.filter(starts(childKeys));
      const inRoot = before.filter(starts(prefix));
      expect(inChild.length).toBe(2 * perStore); // the child and the grandchild
      expect(inRoot.length).toBe(4 * perStore + 5 + underRoot.length);
      await child.deleteAll();
      expect(await all()).toEqual(before.filter((hex) => !starts(childKeys)(hex)));
      await root.deleteAll();
      const survivors = before.filter((hex) => !starts(prefix)(hex));
      expect(survivors.length).toBe(3 * perStore + foreign.length);
      expect(await all()).toEqual(survivors);
      for (const sibling of siblings) await sibling.deleteAll();
      await Promise.all(foreign.map((key) => raw(writer, 'UNLINK', key)));
      expect(await all()).toEqual([]);
    },
  };
}

/** The page script against a standalone server, its fallback, and its errors. */
export function describeDeleteAllScript<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  server: TestServer,
): void {
  describe('deleteAll() page by page in a script', () => {
    it('deletes exactly its tree with the script: no sibling, no foreign key sharing the prefix', async () => {
      const { client: counted, calls } = watched(client);
      const tree = await populate(backend, counted, client, 1500);
      await tree.check([client]);
      // The server did the scanning and deleting: no key came to the client.
      expect(calls.get('evalshaBuffer')).toBeGreaterThan(10);
      expect([calls.get('scanBuffer'), calls.get('unlink')]).toEqual([undefined, undefined]);
    }, 60_000);

    it('falls back to the client-side loop where scripts are denied (ACL -@scripting), deleting the same keys', async () => {
      const user = `no-scripts-${uid()}`;
      await raw(client, 'ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
      const url = new URL(server.url);
      url.username = user;
      url.password = 'pw';
      const limited = backend.connect(url.href);
      try {
        const { client: counted, calls } = watched(limited);
        const tree = await populate(backend, counted, client, 1500);
        await tree.check([client]);
        // Each deleteAll tried the script once, then scanned and unlinked itself.
        expect(calls.get('evalshaBuffer')).toBe(2);
        expect(calls.get('scanBuffer')).toBeGreaterThan(10);
        expect(calls.get('unlink')).toBeGreaterThan(10);
      } finally {
        await limited.quit();
        await raw(client, 'ACL', 'DELUSER', user);
      }
    }, 60_000);

    it('goes on from the same cursor with the client-side loop when the script fails mid-way', async () => {
      const namespace = `midway-${uid()}`;
      // The third page's script is refused, as a server would refuse it (not "unavailable").
      const { client: counted, calls } = watched(client, (label, call) =>
        label === 'evalshaBuffer' && call === 3
          ? replyError('ERR scripts off from here')
          : undefined,
      );
      const store = backend.createStore({ client: counted, namespace });
      const sibling = backend.createStore({ client, namespace: `${namespace}x` });
      await setAll(store, count(20_000));
      await setAll(store.withNamespace('c'), count(2000));
      await setAll(sibling, count(2000));
      await store.deleteAll();
      expect(calls.get('evalshaBuffer')).toBe(3);
      expect(calls.get('scanBuffer')).toBeGreaterThan(5);
      expect(await keysOf([client], matchPattern(rootPrefix(namespace, false)))).toEqual([]);
      expect(
        (await keysOf([client], matchPattern(rootPrefix(`${namespace}x`, false)))).length,
      ).toBe(2000);
      await sibling.deleteAll();
    }, 60_000);

    it('rejects with STORE_CONNECTION naming the server when it does not answer or is down; no fallback', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const base = backend.connect(owned.url);
      base.on('error', () => {}); // the test kills the server under it; its calls say what failed
      const { client: counted, calls } = watched(base);
      const store = backend.createStore({
        client: counted,
        namespace: `unanswered-${uid()}`,
        commandTimeoutMs: 300,
      });
      try {
        await store.set('k', 'v');
        // A script that never ends: the server answers nobody (for 5 s, then only BUSY).
        const blocker = backend.connect(owned.url);
        const busy = raw(blocker, 'EVAL', 'while true do end', 0).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
        const late = await store.deleteAll().catch((e: unknown) => e);
        expect(StoreError.is(late, 'STORE_CONNECTION')).toBe(true);
        expect((late as Error).message).toContain(`127.0.0.1:${owned.port} in 300 ms`);
        blocker.disconnect();
        await busy;
        await owned.kill();
        const down = await store.deleteAll().catch((e: unknown) => e);
        expect(StoreError.is(down, 'STORE_CONNECTION')).toBe(true);
        expect((down as Error).message).toContain(`127.0.0.1:${owned.port}`);
        expect(calls.get('scanBuffer')).toBeUndefined();
      } finally {
        base.disconnect();
        await store.close();
        await owned.stop();
      }
    }, 30_000);
  });
}

/** The page script on every master of a cluster, each run on the master itself. */
export function describeClusterDeleteAll<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
): void {
  const masters = (): RedisLikeClient[] => client.nodes?.('master') ?? [];

  describe('deleteAll() on a cluster', () => {
    it('runs the script on each master itself, deleting exactly its tree spread over every master', async () => {
      const { client: counted, calls } = watched(client);
      // 3000 keys a store: several pages on each master.
      const tree = await populate(backend, counted, client, 3000);
      await tree.check(masters());
      const ports = masters().map((node) => node.options?.port);
      expect(ports.length).toBe(3);
      for (const port of ports) expect(calls.get(`${port} evalshaBuffer`)).toBeGreaterThan(2);
      // Never through the cluster router, never a key to the client.
      const sent = [...calls.keys()].filter(
        (name) => !/^\d+ evalshaBuffer$|^\d+ evalBuffer$/.test(name),
      );
      expect(sent).toEqual([]);
    }, 120_000);

    it('deletes a child namespace of a hash-tagged root, one slot, leaving the root', async () => {
      const namespace = `tagged-${uid()}`;
      const root = backend.createStore({ client, namespace, hashTag: true });
      const child = root.withNamespace('c');
      await setAll(root, count(2500));
      await setAll(child, count(2500));
      await child.deleteAll();
      const prefix = rootPrefix(namespace, true);
      expect(await keysOf(masters(), matchPattern(childPrefix(prefix, 'c')))).toEqual([]);
      const left = await keysOf(masters(), matchPattern(prefix));
      expect(left.length).toBe(2500);
      expect(left).toContain(entryKey(prefix, 'k0').toString('hex'));
      await root.deleteAll();
      expect(await keysOf(masters(), matchPattern(prefix))).toEqual([]);
    }, 60_000);
  });
}
