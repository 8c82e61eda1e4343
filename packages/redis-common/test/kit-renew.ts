import { connect, createServer } from 'node:net';
import { startTestServer, type TestServer } from '@stores/conformance/servers';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { type Backend, type KitClient, listen, raw, rejectionCode, uid } from './kit-support.js';

// Longer than the size after which a renew runs as a transaction (6 KB), and readable.
const large = (text: string): string => `${text}:${'x'.repeat(8000)}`;

/** The last command the server ran for the connection named `name` (CLIENT LIST `cmd=`). */
async function lastCommand(client: KitClient, name: string): Promise<string | undefined> {
  const list = String(await raw(client, 'CLIENT', 'LIST'));
  const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
  return /\bcmd=(\S+)/.exec(line ?? '')?.[1];
}

/** How many EXECs the server refused or failed (INFO commandstats), e.g. EXEC without MULTI. */
async function failedExecs(client: KitClient): Promise<number> {
  const info = String(await raw(client, 'INFO', 'commandstats'));
  const exec = /cmdstat_exec:(\S+)/.exec(info)?.[1] ?? '';
  const count = (field: string): number =>
    Number(new RegExp(`${field}=(\\d+)`).exec(exec)?.[1] ?? 0);
  return count('rejected_calls') + count('failed_calls');
}

/**
 * A TCP proxy to `port` on the loopback; after `cut(n)`, the next bytes from the server are
 * passed on only up to `n`, then both connections close (the client reconnects through it).
 */
async function cuttingProxy(port: number): Promise<{
  url: string;
  cut(bytes: number): void;
  close(): Promise<void>;
}> {
  let cutAt: number | undefined;
  const proxy = await listen(
    createServer((downstream) => {
      const upstream = connect(port, '127.0.0.1');
      downstream.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (cutAt === undefined) {
          downstream.write(chunk);
          return;
        }
        downstream.end(chunk.subarray(0, cutAt));
        cutAt = undefined;
        upstream.destroy();
      });
      upstream.on('close', () => downstream.destroy());
      downstream.on('close', () => upstream.destroy());
      upstream.on('error', () => downstream.destroy());
      downstream.on('error', () => upstream.destroy());
    }),
  );
  return {
    url: `redis://127.0.0.1:${proxy.port}`,
    cut: (bytes) => {
      cutAt = bytes;
    },
    close: () => proxy.close(),
  };
}

const text = (value: Uint8Array | null): string | null =>
  value === null ? null : Buffer.from(value).toString();

/**
 * `get(key, { renewFor })` of large values: after a renew read one, a store on a client it
 * created renews by MULTI, GET, PEXPIRE XX, EXEC instead of the script; the same rules hold.
 */
export function describeRenewTransactions<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  server: TestServer,
): void {
  describe('get() with renewFor, large values', () => {
    it('renews by a transaction on a client it created, by the rules of the script', async () => {
      const name = `renew-${uid()}`;
      const namespace = name;
      const store = backend.fromUrl(server.url, {
        namespace,
        clientOptions: { connectionName: name },
      });
      try {
        await store.set('expiring', large('expiring'), { expiresIn: 100 });
        await store.set('lasting', large('lasting'));
        await store.set('small', 'small', { expiresIn: 100 });
        await raw(client, 'RPUSH', `${namespace}:list`, 'x');
        // The first renew runs the script (by its text if the server has not cached it yet)
        // and reads a large value.
        expect(text(await store.get('expiring', { renewFor: 50 }))).toBe(large('expiring'));
        expect(await lastCommand(client, name)).toMatch(/^eval(?:sha)?$/);

        expect(text(await store.get('expiring', { renewFor: 5 }))).toBe(large('expiring'));
        expect(await lastCommand(client, name)).toBe('exec');
        const pttl = Number(await raw(client, 'PTTL', `${namespace}:expiring`));
        expect(pttl).toBeGreaterThan(4000);
        expect(pttl).toBeLessThanOrEqual(5000);
        // An entry without expiry stays without.
        expect(text(await store.get('lasting', { renewFor: 5 }))).toBe(large('lasting'));
        expect(await lastCommand(client, name)).toBe('exec');
        expect(Number(await raw(client, 'PTTL', `${namespace}:lasting`))).toBe(-1);
        expect(await store.get('missing', { renewFor: 5 })).toBeNull();
        expect(await raw(client, 'EXISTS', `${namespace}:missing`)).toBe(0);
        const error = await store.get('list', { renewFor: 5 }).catch((e: unknown) => e);
        expect(StoreError.is(error, 'STORE_IO')).toBe(true);
        expect(String((error as Error).cause)).toContain('WRONGTYPE');
        expect(await lastCommand(client, name)).toBe('exec');
        // A small value read: the next renew runs the script again.
        expect(text(await store.get('small', { renewFor: 5 }))).toBe('small');
        expect(await lastCommand(client, name)).toBe('exec');
        expect(text(await store.get('small', { renewFor: 5 }))).toBe('small');
        expect(await lastCommand(client, name)).toBe('evalsha');
        await store.deleteAll();
      } finally {
        await store.close();
      }
    });

    it("renews by the script on a lent client: the application's WATCH on it holds", async () => {
      const lent = backend.connect(server.url);
      const namespace = `watch-${uid()}`;
      const store = backend.createStore({ client: lent, namespace });
      try {
        await store.set('k', large('k'), { expiresIn: 100 });
        const watched = `${namespace}:watched`;
        await raw(lent, 'WATCH', watched);
        for (let i = 0; i < 3; i++) {
          expect(text(await store.get('k', { renewFor: 50 }))).toBe(large('k'));
        }
        await raw(client, 'SET', watched, 'changed by another client');
        // EXEC of a transaction the store ran on this connection would have ended the WATCH.
        await raw(lent, 'MULTI');
        await raw(lent, 'SET', watched, 'lost update');
        expect(await raw(lent, 'EXEC')).toBeNull();
        expect(String(await raw(client, 'GET', watched))).toBe('changed by another client');
        await store.deleteAll();
      } finally {
        await lent.quit();
      }
    });

    it('renews by the script from then on when the server refuses MULTI (ACL)', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const admin = backend.connect(owned.url);
      const url = new URL(owned.url);
      url.username = 'renewer';
      url.password = 'secret';
      await raw(admin, 'ACL', 'SETUSER', 'renewer', 'on', '>secret', '~*', '&*', '+@all', '-multi');
      const store = backend.fromUrl(url.href, { namespace: 'acl' });
      try {
        await store.set('k', large('k'), { expiresIn: 100 });
        for (const renewFor of [50, 40, 30, 20, 10]) {
          expect(text(await store.get('k', { renewFor }))).toBe(large('k'));
          const pttl = Number(await raw(admin, 'PTTL', 'acl:k'));
          expect(pttl).toBeGreaterThan(renewFor * 1000 - 1000);
          expect(pttl).toBeLessThanOrEqual(renewFor * 1000);
        }
        // Tried once (the second renew), refused, never again.
        const log = (await raw(admin, 'ACL', 'LOG')) as unknown[][];
        const counts = log
          .map((entry) => Object.fromEntries(pairs(entry)))
          .filter((entry) => entry.object === 'multi')
          .map((entry) => Number(entry.count));
        expect(counts).toEqual([1]);
      } finally {
        await store.close();
        await admin.quit();
        await owned.stop();
      }
    }, 30_000);

    it('never sends the rest of a transaction again without MULTI when the connection drops after MULTI', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const admin = backend.connect(owned.url);
      const proxy = await cuttingProxy(Number(new URL(owned.url).port));
      const store = backend.fromUrl(proxy.url, { namespace: 'cut', commandTimeoutMs: 3000 });
      try {
        await store.set('k', large('k'), { expiresIn: 100 });
        expect(text(await store.get('k', { renewFor: 90 }))).toBe(large('k')); // the script
        // The transaction runs on the server; its client hears `+OK` (MULTI's reply) and the
        // connection closes. Sent again on the next connection, GET and PEXPIRE would run
        // outside a transaction and EXEC would fail (ERR EXEC without MULTI).
        proxy.cut('+OK\r\n'.length);
        expect(await rejectionCode(store.get('k', { renewFor: 50 }))).toBe('STORE_CONNECTION');
        let value: Uint8Array | null = null;
        for (let i = 0; i < 50 && value === null; i++) {
          value = await store.get('k').catch(() => null);
          if (value === null) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(text(value)).toBe(large('k'));
        const pttl = Number(await raw(admin, 'PTTL', 'cut:k'));
        expect(pttl).toBeLessThanOrEqual(50_000); // the transaction itself ran, whole
        expect(await failedExecs(admin)).toBe(0);
        expect(text(await store.get('k', { renewFor: 40 }))).toBe(large('k'));
        expect(Number(await raw(admin, 'PTTL', 'cut:k'))).toBeLessThanOrEqual(40_000);
      } finally {
        await store.close();
        await proxy.close();
        await admin.quit();
        await owned.stop();
      }
    }, 30_000);

    it('hands each renew its own reply after transactions timed out behind a paused server', async () => {
      const store = backend.fromUrl(server.url, {
        namespace: `late-renew-${uid()}`,
        commandTimeoutMs: 200,
      });
      try {
        const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
        await Promise.all(keys.map((key) => store.set(key, large(key), { expiresIn: 100 })));
        await store.set('small', 'small');
        expect(text(await store.get('k0', { renewFor: 100 }))).toBe(large('k0'));
        await raw(client, 'CLIENT', 'PAUSE', 600, 'ALL');
        const timedOut = await Promise.all(
          keys.map((key) => rejectionCode(store.get(key, { renewFor: 100 }))),
        );
        expect([...new Set(timedOut)]).toEqual(['STORE_CONNECTION']);
        await raw(client, 'PING'); // answered once the pause is over
        // Transactions, their late replies and single commands, interleaved.
        const reversed = [...keys].reverse();
        const values = await Promise.all(
          reversed.flatMap((key) => [store.get(key, { renewFor: 100 }), store.get('small')]),
        );
        expect(values.map(text)).toEqual(reversed.flatMap((key) => [large(key), 'small']));
        await store.deleteAll();
      } finally {
        await store.close();
      }
    });
  });
}

/** An ACL LOG entry's flat [field, value, ...] list as pairs of text. */
function pairs(entry: unknown[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < entry.length; i += 2) {
    result.push([String(entry[i]), String(entry[i + 1])]);
  }
  return result;
}
