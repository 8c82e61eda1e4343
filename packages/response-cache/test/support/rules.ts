import { randomBytes } from 'node:crypto';
import { type Store, StoreRegistry } from '@stores/core';
import type { TestBackend } from '@stores/test-backends';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type CacheRouteOptions,
  ResponseCache,
  type ResponseCacheOptions,
} from '../../src/index.js';
import type { Framework, Output, Route, Seen } from './frameworks.js';
import { type Received, type RequestInit, request, sleep, until } from './http.js';
import { watchingGets } from './stores.js';
import { SPLIT_VARIANTS } from './variants.js';

/** A route handler that counts its calls. */
function counted(handler: (seen: Seen, call: number) => Output | Promise<Output>) {
  let calls = 0;
  return {
    handler: (seen: Seen) => handler(seen, ++calls),
    calls: () => calls,
  };
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

// Header lines that legitimately differ between two answers of the same response.
const PER_ANSWER = new Set(['date', 'connection', 'keep-alive', 'x-cache']);

// Sorted by name only (a stable sort): lines of one name keep their order, which is meaningful;
// the order of different names is not (fetch's Headers iterates them sorted).
function replayedLines(received: Received): (readonly [string, string])[] {
  return received.lines
    .filter(([name]) => !PER_ANSWER.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Every rule of the response cache (contract §9), over real HTTP, for one framework on one backend.
 * Each test has a fresh isolated store and its own server.
 */
export function defineRules(framework: Framework, backend: TestBackend): void {
  async function start(
    routes: readonly Route[],
    options: Omit<ResponseCacheOptions, 'store' | 'registry' | 'name'> = {},
    store: Store = backend.open(),
  ) {
    const cache = new ResponseCache({ store, ...options });
    const app = await framework.start(cache, routes);
    onTestFinished(() => app.close());
    return {
      store,
      fetch: (path: string, init?: RequestInit) => request(`${app.url}${path}`, init),
      /** Resolves once the entry under `key` was written (the write lands after the reply). */
      stored: (key: string) => until(async () => (await store.get(key)) !== null),
    };
  }

  /** One counted route at `path` answering `output`, plus its options. */
  async function one(
    path: string,
    output: Output | ((seen: Seen, call: number) => Output),
    options?: CacheRouteOptions,
  ) {
    const route = counted((seen, call) =>
      typeof output === 'function' ? output(seen, call) : output,
    );
    const app = await start([{ path, handler: route.handler, ...(options && { options }) }]);
    return { ...app, calls: route.calls };
  }

  describe(framework.name, () => {
    describe('a GET route', () => {
      it('computes the first request (x-cache: MISS) and replays the next ones (x-cache: HIT)', async () => {
        const app = await one('/hello', { body: 'hello' });
        const first = await app.fetch('/hello');
        expect([first.status, first.headers['x-cache'], first.text]).toEqual([
          200,
          'MISS',
          'hello',
        ]);
        await app.stored('GET /hello?');
        for (const _ of [1, 2]) {
          const again = await app.fetch('/hello');
          expect([again.status, again.headers['x-cache'], again.text]).toEqual([
            200,
            'HIT',
            'hello',
          ]);
        }
        expect(app.calls()).toBe(1);
      });

      it('replays a binary body byte-exact', async () => {
        const body = Buffer.concat([
          Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
          randomBytes(200_000),
        ]);
        const app = await one('/binary', {
          headers: [['content-type', 'application/octet-stream']],
          body,
        });
        expect((await app.fetch('/binary')).body.equals(body)).toBe(true);
        await app.stored('GET /binary?');
        const hit = await app.fetch('/binary');
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.body.equals(body)).toBe(true);
      });

      it('replays a body streamed in many chunks byte-exact', async () => {
        const chunks = Array.from({ length: 24 }, (_, i) =>
          i % 3 === 0 ? `chunk ${i}: é ☃ 😀\n` : randomBytes(1000 + i * 97),
        );
        const expected = Buffer.concat(
          chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)),
        );
        const app = await one('/stream', {
          headers: [['content-type', 'application/octet-stream']],
          body: chunks,
        });
        expect((await app.fetch('/stream')).body.equals(expected)).toBe(true);
        await app.stored('GET /stream?');
        const hit = await app.fetch('/stream');
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.body.equals(expected)).toBe(true);
        expect(hit.headers['content-length']).toBe(String(expected.length));
        expect(app.calls()).toBe(1);
      });

      it('replays the status and every header line, repeated headers included', async () => {
        const app = await one('/headers', {
          status: 201,
          headers: [
            ['content-type', 'text/plain; charset=utf-8'],
            ['x-multi', 'one'],
            ['x-multi', 'two'],
            ['link', '</a>; rel=preload'],
            ['link', '</b>; rel=preload'],
            ['etag', '"v1"'],
          ],
          body: 'created',
        });
        const miss = await app.fetch('/headers');
        await app.stored('GET /headers?');
        const hit = await app.fetch('/headers');
        expect(hit.status).toBe(201);
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.headers['x-multi']).toBe('one, two');
        expect(hit.headers.link).toBe('</a>; rel=preload, </b>; rel=preload');
        expect(replayedLines(hit)).toEqual(replayedLines(miss));
      });
    });

    describe('keys', () => {
      it('keeps GET /a with the query b=c apart from GET /ab=c', async () => {
        const app = await one('*', (seen) => ({ body: `path ${seen.path} query ${seen.query}` }));
        expect((await app.fetch('/a?b=c')).text).toBe('path /a query b=c');
        await app.stored('GET /a?b=c');
        const other = await app.fetch('/ab=c');
        expect([other.headers['x-cache'], other.text]).toEqual(['MISS', 'path /ab=c query ']);
        await app.stored('GET /ab=c?');
        expect((await app.fetch('/a?b=c')).text).toBe('path /a query b=c');
        expect((await app.fetch('/ab=c')).text).toBe('path /ab=c query ');
        expect(app.calls()).toBe(2);
      });

      it('shares one entry between orders of the query parameters', async () => {
        const app = await one('/q', (seen) => ({ body: seen.query }));
        expect((await app.fetch('/q?b=2&a=1&c=3')).headers['x-cache']).toBe('MISS');
        await app.stored('GET /q?a=1&b=2&c=3');
        const hit = await app.fetch('/q?c=3&a=1&b=2');
        expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'b=2&a=1&c=3']);
      });

      it('keeps the order of a repeated parameter', async () => {
        const app = await one('/q', (seen) => ({ body: seen.query }));
        await app.fetch('/q?a=1&a=2');
        await app.stored('GET /q?a=1&a=2');
        const swapped = await app.fetch('/q?a=2&a=1');
        expect([swapped.headers['x-cache'], swapped.text]).toEqual(['MISS', 'a=2&a=1']);
        expect(app.calls()).toBe(2);
      });

      it('uses the key a custom keyBuilder gives', async () => {
        const app = await one('/k', (seen) => ({ body: seen.query }), {
          keyBuilder: (r) => `k:${r.path}`,
        });
        await app.fetch('/k?x=1');
        await app.stored('k:/k');
        const hit = await app.fetch('/k?x=2');
        expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'x=1']);
      });
    });

    describe('what is never stored', () => {
      it.each<[string, readonly (readonly [string, string])[]]>([
        ['a response that sets a cookie', [['set-cookie', 'session=abc; HttpOnly']]],
        ['Cache-Control: no-store', [['cache-control', 'no-store']]],
        ['Cache-Control: private', [['cache-control', 'max-age=60, private']]],
        ['Cache-Control: private="x-user"', [['cache-control', 'private="x-user"']]],
        ['Cache-Control: no-cache', [['cache-control', 'No-Cache']]],
        ['Vary: *', [['vary', 'accept, *']]],
      ])('%s', async (_, headers) => {
        const app = await one('/never', { headers, body: 'personal' });
        const first = await app.fetch('/never');
        const second = await app.fetch('/never');
        expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'MISS']);
        expect(app.calls()).toBe(2);
        expect(await app.store.get('GET /never?')).toBeNull();
      });

      it('does not store the answer to a request with Authorization unless it says public', async () => {
        const app = await one('/me', (seen) => ({
          headers:
            seen.path === '/me' && seen.query === 'public' ? [['cache-control', 'public']] : [],
          body: 'me',
        }));
        const auth = { headers: { authorization: 'Bearer t' } };
        await app.fetch('/me', auth);
        expect((await app.fetch('/me', auth)).headers['x-cache']).toBe('MISS');
        await app.fetch('/me?public', auth);
        await app.stored('GET /me?public');
        expect((await app.fetch('/me?public', auth)).headers['x-cache']).toBe('HIT');
        expect(app.calls()).toBe(3);
      });

      it('runs POST, PUT and DELETE every time, unmarked, even when a GET entry exists', async () => {
        const app = await one('/m', (seen, call) => ({ body: `${seen.method} ${call}` }));
        await app.fetch('/m');
        await app.stored('GET /m?');
        for (const method of ['POST', 'PUT', 'DELETE', 'POST']) {
          const answer = await app.fetch('/m', { method });
          expect(answer.text.startsWith(`${method} `)).toBe(true);
          expect(answer.headers['x-cache']).toBeUndefined();
        }
        expect(app.calls()).toBe(5);
        expect((await app.fetch('/m')).text).toBe('GET 1');
      });

      it.each([
        [200, true],
        [201, true],
        [204, true],
        [206, false],
        [301, true],
        [302, false],
        [304, false],
        [308, true],
        [404, false],
        [500, false],
      ])('status %i: stored %s', async (status, stored) => {
        const app = await one('/status', {
          status,
          headers: status >= 300 && status < 400 ? [['location', '/elsewhere']] : [],
          body: status === 204 || status === 304 ? undefined : `status ${status}`,
        });
        const first = await app.fetch('/status');
        expect([first.status, first.headers['x-cache']]).toEqual([status, 'MISS']);
        if (stored) await app.stored('GET /status?');
        const second = await app.fetch('/status');
        expect([second.status, second.headers['x-cache']]).toEqual([
          status,
          stored ? 'HIT' : 'MISS',
        ]);
        expect(second.body.equals(first.body)).toBe(true);
        expect(app.calls()).toBe(stored ? 1 : 2);
        if (stored && status >= 300) expect(second.headers.location).toBe('/elsewhere');
      });

      it('stores what the cache-wide filter allows, and a route filter overrides it', async () => {
        const notFound = counted(() => ({ status: 404, body: 'gone' }));
        const ok = counted(() => ({ body: 'ok' }));
        const app = await start(
          [
            { path: '/404', handler: notFound.handler },
            { path: '/200', handler: ok.handler, options: { filter: (status) => status === 200 } },
          ],
          { filter: (status) => status === 404 },
        );
        for (const _ of [1, 2]) await app.fetch('/200');
        await app.fetch('/404');
        await app.stored('GET /404?');
        expect((await app.fetch('/404')).headers['x-cache']).toBe('HIT');
        expect([notFound.calls(), ok.calls()]).toEqual([1, 1]);
      });
    });

    describe('Vary', () => {
      it('keeps one variant per value of the named request headers', async () => {
        const app = await one('/hello', (seen) => ({
          headers: [['vary', 'Accept-Language']],
          body: seen.header('accept-language') === 'fr' ? 'bonjour' : 'hello',
        }));
        const fr = { headers: { 'accept-language': 'fr' } };
        const en = { headers: { 'accept-language': 'en' } };
        expect((await app.fetch('/hello', en)).text).toBe('hello');
        await app.stored('GET /hello?');
        const missFr = await app.fetch('/hello', fr);
        expect([missFr.headers['x-cache'], missFr.text]).toEqual(['MISS', 'bonjour']);
        await until(async () => (await app.fetch('/hello', fr)).headers['x-cache'] === 'HIT');
        const hitEn = await app.fetch('/hello', en);
        expect([hitEn.headers['x-cache'], hitEn.text, hitEn.headers.vary]).toEqual([
          'HIT',
          'hello',
          'Accept-Language',
        ]);
        expect(app.calls()).toBe(2);
      });

      it('keeps variants apart however the header values split', async () => {
        const app = await one('/v', (seen) => ({
          headers: [['vary', 'x-a, X-B']],
          body: JSON.stringify([seen.header('x-a') ?? null, seen.header('x-b') ?? null]),
        }));
        for (const headers of SPLIT_VARIANTS) {
          const answer = await app.fetch('/v', { headers });
          expect(answer.headers['x-cache']).toBe('MISS');
          await until(
            async () => (await app.fetch('/v', { headers })).headers['x-cache'] === 'HIT',
          );
        }
        for (const headers of SPLIT_VARIANTS) {
          const answer = await app.fetch('/v', { headers });
          expect(answer.headers['x-cache']).toBe('HIT');
          expect(JSON.parse(answer.text)).toEqual([headers['x-a'], headers['x-b'] ?? null]);
        }
        expect(app.calls()).toBe(SPLIT_VARIANTS.length);
      });
    });

    describe('HEAD', () => {
      it('is answered from the GET entry: status and headers, no body', async () => {
        const app = await one('/h', { headers: [['x-kind', 'h']], body: 'twelve bytes' });
        await app.fetch('/h');
        await app.stored('GET /h?');
        const head = await app.fetch('/h', { method: 'HEAD' });
        expect([head.status, head.headers['x-cache'], head.headers['x-kind']]).toEqual([
          200,
          'HIT',
          'h',
        ]);
        expect(head.headers['content-length']).toBe('12');
        expect(head.body.length).toBe(0);
        expect(app.calls()).toBe(1);
      });

      it('runs without a GET entry and stores nothing', async () => {
        const app = await one('/h', { body: 'body' });
        const head = await app.fetch('/h', { method: 'HEAD' });
        expect([head.status, head.headers['x-cache'], head.body.length]).toEqual([200, 'MISS', 0]);
        const get = await app.fetch('/h');
        expect([get.headers['x-cache'], get.text]).toEqual(['MISS', 'body']);
        expect(app.calls()).toBe(2);
      });
    });

    describe('expiry', () => {
      it('keeps entries for defaultExpiration, 60 seconds by default', async () => {
        const app = await one('/t', { body: 't' });
        await app.fetch('/t');
        await app.stored('GET /t?');
        const left = await app.store.expiresIn('GET /t?');
        expect(left).toBeGreaterThan(50);
        expect(left).toBeLessThanOrEqual(60);
      });

      it('keeps entries without expiry when expiresIn is null', async () => {
        const app = await one('/t', { body: 't' }, { expiresIn: null });
        await app.fetch('/t');
        await app.stored('GET /t?');
        expect(await app.store.expiresIn('GET /t?')).toBe(Number.POSITIVE_INFINITY);
      });

      it("computes again once a route's expiresIn has passed", async () => {
        const app = await one('/t', (_, call) => ({ body: `call ${call}` }), { expiresIn: 0.5 });
        await app.fetch('/t');
        await app.stored('GET /t?');
        expect(await app.store.expiresIn('GET /t?')).toBeLessThanOrEqual(0.5);
        await sleep(600);
        const later = await app.fetch('/t');
        expect([later.headers['x-cache'], later.text]).toEqual(['MISS', 'call 2']);
      });
    });

    describe('concurrent misses', () => {
      const N = 8;

      async function concurrent(
        output: (seen: Seen, call: number) => Output,
        headersOf: (index: number) => Record<string, string> = () => ({}),
      ) {
        const watched = watchingGets(backend.open());
        const opened = gate();
        const route = counted(async (seen, call) => {
          if (call === 1) await opened.wait;
          return output(seen, call);
        });
        const app = await start([{ path: '/slow', handler: route.handler }], {}, watched.store);
        const answers = Promise.all(
          Array.from({ length: N }, (_, index) =>
            app.fetch('/slow', { headers: headersOf(index) }),
          ),
        );
        // Every lookup has missed (and, a macrotask later, joined the first computation).
        await until(() => watched.answered() >= N);
        opened.open();
        return { answers: await answers, calls: route.calls, app };
      }

      it('compute once in one process; the others get that response', async () => {
        const { answers, calls } = await concurrent(() => ({ body: 'computed once' }));
        expect(calls()).toBe(1);
        expect(answers.map((a) => a.text)).toEqual(Array(N).fill('computed once'));
        expect(answers.filter((a) => a.headers['x-cache'] === 'MISS')).toHaveLength(1);
      });

      it('each compute their own response when the first computation fails', async () => {
        const { answers, calls } = await concurrent((_, call) => {
          if (call === 1) throw new Error('handler failed');
          return { body: 'recovered' };
        });
        expect(answers.filter((a) => a.status === 500)).toHaveLength(1);
        expect(answers.filter((a) => a.status === 200 && a.text === 'recovered')).toHaveLength(
          N - 1,
        );
        expect(calls()).toBe(N);
      });

      it('each compute their own response when the first may not be stored', async () => {
        const { answers, calls } = await concurrent((_, call) => ({
          headers: [['set-cookie', `user=${call}`]],
          body: `user ${call}`,
        }));
        expect(new Set(answers.map((a) => a.headers['set-cookie']?.[0])).size).toBe(N);
        expect(calls()).toBe(N);
      });

      it('share the first response only with requests of its Vary variant; another variant computes once', async () => {
        const { answers, calls } = await concurrent(
          (seen) => ({ headers: [['vary', 'x-v']], body: `v=${seen.header('x-v')}` }),
          (index) => ({ 'x-v': index % 2 === 0 ? 'even' : 'odd' }),
        );
        answers.forEach((answer, index) => {
          expect(answer.text).toBe(index % 2 === 0 ? 'v=even' : 'v=odd');
        });
        // The first computation was one variant's; the other variant's requests then computed
        // theirs once, under the variant's key.
        expect(calls()).toBe(2);
      });
    });

    describe('entries', () => {
      it('treat a foreign entry as a miss and overwrite it', async () => {
        const app = await one('/e', { body: 'fresh' });
        await app.store.set('GET /e?', 'not an entry of this cache');
        expect((await app.fetch('/e')).headers['x-cache']).toBe('MISS');
        await until(async () => (await app.fetch('/e')).headers['x-cache'] === 'HIT');
        expect(app.calls()).toBe(1);
      });

      it('treat a truncated entry as a miss', async () => {
        const app = await one('/e', { body: 'fresh' });
        await app.fetch('/e');
        await app.stored('GET /e?');
        const entry = (await app.store.get('GET /e?')) ?? new Uint8Array();
        await app.store.set('GET /e?', entry.subarray(0, entry.length - 1));
        expect((await app.fetch('/e')).headers['x-cache']).toBe('MISS');
      });

      it('are the documented binary envelope', async () => {
        const app = await one('/e', { status: 203, headers: [['x-one', 'value']], body: 'body' });
        await app.fetch('/e');
        await app.stored('GET /e?');
        const entry = Buffer.from((await app.store.get('GET /e?')) ?? []);
        expect([...entry.subarray(0, 5)]).toEqual([0x53, 0x52, 0x43, 0x01, 0x00]);
        expect(entry.readUInt16BE(5)).toBe(203);
        expect(
          entry.includes(Buffer.from('\u0000\u0005x-one\u0000\u0000\u0000\u0005value', 'latin1')),
        ).toBe(true);
        expect(entry.subarray(-8)).toEqual(Buffer.from('\u0000\u0000\u0000\u0004body', 'latin1'));
      });

      it("go to the registry's store named response_cache", async () => {
        const root = backend.open();
        const registry = new StoreRegistry({ root });
        const route = counted(() => ({ body: 'from the registry' }));
        const cache = new ResponseCache({ registry });
        const app = await framework.start(cache, [{ path: '/r', handler: route.handler }]);
        onTestFinished(() => app.close());
        await request(`${app.url}/r`);
        const named = registry.get('response_cache');
        await until(async () => (await named.get('GET /r?')) !== null);
        expect(await root.get('GET /r?')).toBeNull();
      });
    });
  });
}
