import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { startTestServer, type TestServer } from '@stores/conformance/servers';
import { type Store, StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { type Backend, type KitClient, listen, raw, uid, utf8 } from './kit-support.js';

/** The rejection of `call`, which must be a StoreError. */
async function failure(call: Promise<unknown>): Promise<StoreError> {
  const error = await call.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!StoreError.is(error)) throw new Error(`expected a StoreError, got ${String(error)}`);
  return error;
}

/** `url` of `server` with its path (the db) replaced, credentials and port kept. */
function withDb(server: TestServer, db: string): string {
  const url = new URL(server.url);
  url.pathname = `/${db}`;
  return url.toString();
}

/** ms → `min / median / max` of sequential latencies. */
function spread(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (i: number): string => (sorted[i] ?? Number.NaN).toFixed(1);
  return `min ${at(0)} / median ${at(Math.floor(sorted.length / 2))} / max ${at(sorted.length - 1)} ms`;
}

/** Connection failures name the endpoint and the cause; bad URLs fail at construction. */
export function describeConnectionErrors<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  server: TestServer,
): void {
  describe('connection errors', () => {
    it('names the endpoint and ECONNREFUSED while the server is down, on every call', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      await owned.stop();
      const store = backend.fromUrl(owned.url); // the default commandTimeoutMs, 5000
      const latencies: number[] = [];
      const messages = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const error = await failure(store.set(`k${i}`, 'v'));
        latencies.push(performance.now() - started);
        expect(error.code).toBe('STORE_CONNECTION');
        messages.add(error.message);
      }
      console.log(`[${backend.name}] a down server, 20 sequential calls: ${spread(latencies)}`);
      expect([...messages]).toEqual([
        `cannot use the server at 127.0.0.1:${owned.port}: connection refused (ECONNREFUSED)`,
      ]);
      await store.close();
    }, 30_000);

    it('rejects an empty, http:// or schemeless URL and a db that is no number, at construction', () => {
      const bad = [
        '',
        ' ',
        'http://127.0.0.1:6379',
        'https://127.0.0.1:6379',
        'localhost:6379',
        '127.0.0.1',
        '/tmp/redis.sock',
        'mongodb://127.0.0.1:6379',
        'redis://127.0.0.1:6379/abc',
        'redis://127.0.0.1:6379/-1',
        'redis://127.0.0.1:6379/1.5',
        'redis://127.0.0.1:6379/1/2',
        'redis://127.0.0.1:6379?db=x',
        'redis://127.0.0.1:99999',
      ];
      if (backend.kind === 'redis') bad.push('valkey://127.0.0.1:6379');
      for (const url of bad) {
        let thrown: unknown;
        try {
          backend.fromUrl(url);
        } catch (error) {
          thrown = error;
        }
        expect(StoreError.is(thrown, 'STORE_INVALID_ARGUMENT'), url).toBe(true);
        expect((thrown as Error).message, url).toContain('redis://');
      }
      for (const db of [-1, 1.5, 'x']) {
        expect(() => backend.createStore({ clientOptions: { db: db as number } })).toThrow(
          expect.objectContaining({ code: 'STORE_INVALID_ARGUMENT' }),
        );
      }
    });

    it('names the port and says "not a Redis server" when the port serves HTTP', async () => {
      const http = await listen(createHttpServer((_, response) => response.end('hello')));
      const store = backend.fromUrl(`redis://127.0.0.1:${http.port}`);
      try {
        const error = await failure(store.get('k'));
        expect(error.code).toBe('STORE_CONNECTION');
        expect(error.message).toContain(`the server at 127.0.0.1:${http.port}: not a Redis server`);
      } finally {
        await store.close();
        await http.close();
      }
    });

    it('names a db the server does not have and writes nothing into db 0', async () => {
      const key = `db-${uid()}`;
      const store = backend.fromUrl(withDb(server, '99'), { namespace: null });
      for (const call of [
        () => store.set(key, 'v'),
        () => store.set(key, 'v'),
        () => store.get(key),
      ]) {
        const error = await failure(call());
        expect(error.code).toBe('STORE_CONNECTION');
        expect(error.message).toContain('has no db 99: ERR DB index is out of range');
      }
      await store.close();
      expect(await raw(client, 'EXISTS', key)).toBe(0);
      const three = backend.fromUrl(withDb(server, '3'), { namespace: null });
      await three.set(key, 'in 3');
      await three.close();
      const inThree = backend.connect(withDb(server, '3'));
      expect(await raw(inThree, 'GET', key)).toEqual(utf8('in 3'));
      await raw(inThree, 'DEL', key);
      await inThree.quit();
      expect(await raw(client, 'EXISTS', key)).toBe(0);
    });

    it('names a wrong password (WRONGPASS) and a missing one (NOAUTH)', async (ctx) => {
      const owned = await startTestServer(backend.kind, { owned: true });
      if (owned === undefined) return ctx.skip();
      const admin = backend.connect(owned.url);
      await raw(admin, 'CONFIG', 'SET', 'requirepass', 's3cret');
      const at = `127.0.0.1:${owned.port}`;
      const stores: Store[] = [];
      try {
        for (const [password, reply] of [
          ['wrong', 'WRONGPASS'],
          ['', 'NOAUTH'],
        ] as const) {
          const store = backend.fromUrl(`redis://:${password}@${at}`);
          stores.push(store);
          const error = await failure(store.set('k', 'v'));
          expect(error.code).toBe('STORE_CONNECTION');
          expect(error.message).toContain(
            `the server at ${at}: it refused the credentials: ${reply}`,
          );
        }
        const right = backend.fromUrl(`redis://:s3cret@${at}`);
        stores.push(right);
        await right.set('k', 'v');
        expect(await right.get('k')).toEqual(new Uint8Array(utf8('v')));
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await admin.quit();
        await owned.stop();
      }
    });

    it('names a host name that does not resolve', async () => {
      const store = backend.fromUrl('redis://stores-test.invalid:6379');
      const error = await failure(store.get('k'));
      await store.close();
      expect(error.code).toBe('STORE_CONNECTION');
      expect(error.message).toMatch(
        /^cannot use the server at stores-test\.invalid:6379: the host name does not resolve.*\((ENOTFOUND|EAI_AGAIN)\)$/,
      );
    });

    it('names the endpoint and the timeout when a server accepts but never answers', async () => {
      const silent = await listen(createServer(() => {}));
      const store = backend.fromUrl(`redis://127.0.0.1:${silent.port}`, { commandTimeoutMs: 300 });
      try {
        for (let i = 0; i < 3; i++) {
          const error = await failure(store.set('k', 'v'));
          expect(error.code).toBe('STORE_CONNECTION');
          expect(error.message).toBe(
            `no reply from the server at 127.0.0.1:${silent.port} in 300 ms (commandTimeoutMs)`,
          );
        }
      } finally {
        await store.close();
        await silent.close();
      }
    });

    it('hands each call its own reply after calls timed out behind a paused server', async () => {
      // The timed-out commands stay queued in the client and are answered once the server
      // resumes: those late replies must be dropped, never handed to the calls made after.
      const store = backend.fromUrl(server.url, {
        namespace: `late-${uid()}`,
        commandTimeoutMs: 200,
      });
      try {
        const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
        await Promise.all(keys.map((key) => store.set(key, `value of ${key}`)));
        await raw(client, 'CLIENT', 'PAUSE', 600, 'ALL');
        const timedOut = await Promise.all(keys.map((key) => failure(store.get(key))));
        expect([...new Set(timedOut.map((error) => error.code))]).toEqual(['STORE_CONNECTION']);
        await raw(client, 'PING'); // answered once the pause is over
        const reversed = [...keys].reverse();
        const values = await Promise.all(reversed.map((key) => store.get(key)));
        expect(values.map((value) => value && Buffer.from(value).toString())).toEqual(
          reversed.map((key) => `value of ${key}`),
        );
        await store.deleteAll();
      } finally {
        await store.close();
      }
    });
  });
}
