import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gunzipSync } from 'node:zlib';
import { MemoryStore, type Store } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import express, { type Express, type RequestHandler, type Response } from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeEntry } from '../src/envelope.js';
import { ResponseCache } from '../src/index.js';
import { expressFramework, listening } from './support/frameworks.js';
import { request, until } from './support/http.js';
import { defineRules } from './support/rules.js';
import { watchingGets } from './support/stores.js';

await describeEachBackend((backend) => defineRules(expressFramework, backend));

const TEXT = 'a text worth compressing, '.repeat(40);

/**
 * What the `compression` middleware does to a response, reduced to gzip for every request: at
 * the head (through `res.writeHead`, as compression's `on-headers` hook) it sets
 * Content-Encoding, unless the response has one already ("already encoded": then it passes the
 * body on as it is), and it sends the body through a gzip stream with the methods it found.
 */
function gzipOnTheWayOut(): RequestHandler {
  return (_req, res, next) => {
    const gzip = createGzip();
    const { writeHead, write, end } = res;
    let encoded = false;
    const head = (): void => {
      if (!res.headersSent) res.writeHead(res.statusCode);
    };
    gzip.on('data', (chunk: Buffer) => Reflect.apply(write, res, [chunk]));
    gzip.on('end', () => Reflect.apply(end, res, []));
    res.writeHead = function (this: Response, ...args: unknown[]) {
      encoded = this.getHeader('content-encoding') !== undefined;
      if (!encoded) {
        this.setHeader('content-encoding', 'gzip');
        this.removeHeader('content-length');
      }
      return Reflect.apply(writeHead, this, args) as Response;
    } as Response['writeHead'];
    res.write = ((chunk: string | Buffer) => {
      head();
      return encoded ? Reflect.apply(write, res, [chunk]) : gzip.write(chunk);
    }) as Response['write'];
    res.end = ((chunk?: string | Buffer) => {
      head();
      const data = typeof chunk === 'function' ? undefined : chunk;
      if (encoded) Reflect.apply(end, res, data === undefined ? [] : [data]);
      else if (data === undefined) gzip.end();
      else gzip.end(data);
      return res;
    }) as Response['end'];
    next();
  };
}

async function start(
  define: (app: Express, cache: ResponseCache) => void,
  store: Store = new MemoryStore(),
) {
  const app = express();
  define(app, new ResponseCache({ store }));
  const running = await listening(app.listen(0, '127.0.0.1'));
  onTestFinished(() => running.close());
  return {
    store,
    url: running.url,
    stored: (key: string) => until(async () => (await store.get(key)) !== null),
  };
}

describe('express() capture', () => {
  it('collects string chunks in the encoding they were written in', async () => {
    const { url, stored } = await start((app, cache) =>
      app.get('/enc', cache.express(), (_req, res) => {
        res.write('68656c6c6f', 'hex');
        res.write('IHdvcmxk', 'base64');
        res.write(' caf\u00e9 ', 'latin1');
        res.write(Buffer.from([0, 255]));
        res.end('\u2603', 'utf8');
      }),
    );
    const expected = Buffer.concat([
      Buffer.from('hello world caf'),
      Buffer.from([0xe9, 0x20, 0, 255]),
      Buffer.from('\u2603', 'utf8'),
    ]);
    expect((await request(`${url}/enc`)).body).toEqual(expected);
    await stored('GET /enc?');
    const hit = await request(`${url}/enc`);
    expect([hit.headers['x-cache'], hit.body]).toEqual(['HIT', expected]);
  });

  it('collects headers handed to writeHead, as an object or as a list', async () => {
    const { url, stored } = await start((app, cache) => {
      app.get('/object', cache.express(), (_req, res) => {
        res.writeHead(200, { 'X-Object': 'yes', 'Content-Type': 'text/plain' }).end('o');
      });
      app.get('/list', cache.express(), (_req, res) => {
        res.writeHead(200, 'Fine', ['X-List', 'one', 'X-List', 'two']).end('l');
      });
    });
    // Node 20 itself would keep only the last X-List line of a flat list when other headers
    // (Express's X-Powered-By) were set first; the cache merges the list as later Node does.
    for (const [path, name, value] of [
      ['/object', 'x-object', 'yes'],
      ['/list', 'x-list', 'one, two'],
    ] as const) {
      const miss = await request(`${url}${path}`);
      await stored(`GET ${path}?`);
      const hit = await request(`${url}${path}`);
      expect([miss.headers[name], hit.headers['x-cache'], hit.headers[name]]).toEqual([
        value,
        'HIT',
        value,
      ]);
    }
  });

  it('stores the response the handler made, below middleware that encodes it on the way out', async () => {
    const { url, store, stored } = await start((app, cache) => {
      app.use('/outer', gzipOnTheWayOut());
      app.get('/outer', cache.express(), (_req, res) => res.type('text/plain').send(TEXT));
      app.get('/inner', cache.express(), gzipOnTheWayOut(), (_req, res) => {
        res.type('text/plain').send(TEXT);
      });
    });
    for (const path of ['/outer', '/inner']) {
      const miss = await request(`${url}${path}`);
      await stored(`GET ${path}?`);
      const hit = await request(`${url}${path}`);
      for (const answer of [miss, hit]) {
        expect(answer.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(answer.body).toString()).toBe(TEXT);
      }
      expect(hit.headers['x-cache']).toBe('HIT');
    }
    // Mounted ahead of the cache, the encoder runs again on every replay; mounted behind it,
    // its output is what the cache stored.
    const outer = decodeEntry((await store.get('GET /outer?')) ?? new Uint8Array());
    const inner = decodeEntry((await store.get('GET /inner?')) ?? new Uint8Array());
    if (outer?.kind !== 'response' || inner?.kind !== 'response') throw new Error('not stored');
    expect(Buffer.from(outer.response.body).toString()).toBe(TEXT);
    expect(outer.response.headers.some(([name]) => name === 'content-encoding')).toBe(false);
    expect(gunzipSync(inner.response.body).toString()).toBe(TEXT);
    expect(inner.response.headers).toContainEqual(['content-encoding', 'gzip']);
  });

  it('replays a file sent with res.sendFile byte-exact, with its ETag and Last-Modified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'response-cache-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'data.bin');
    const bytes = Buffer.alloc(300_000, 'abc\u0000\u00ff');
    writeFileSync(file, bytes);
    const { url, stored } = await start((app, cache) =>
      app.get('/file', cache.express(), (_req, res) => res.sendFile(file)),
    );
    const miss = await request(`${url}/file`);
    await stored('GET /file?');
    const hit = await request(`${url}/file`);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body.equals(bytes)).toBe(true);
    expect([hit.headers.etag, hit.headers['last-modified']]).toEqual([
      miss.headers.etag,
      miss.headers['last-modified'],
    ]);
  });

  it('stores nothing when the client leaves mid-stream, and frees the requests waiting on it', async () => {
    let calls = 0;
    const watched = watchingGets(new MemoryStore());
    const { url, store } = await start(
      (app, cache) =>
        app.get('/long', cache.express(), (_req, res) => {
          calls++;
          res.write('first part ');
          // The first call streams until its client leaves; later calls finish at once.
          if (calls > 1) res.end('whole');
        }),
      watched.store,
    );
    const leaving = httpRequest(`${url}/long`);
    const firstChunk = new Promise<void>((resolve) => {
      leaving.on('response', (res) => res.once('data', () => resolve()));
    });
    leaving.on('error', () => {});
    leaving.end();
    await firstChunk;
    const waiting = request(`${url}/long`);
    // The second lookup has missed, and (a macrotask later) waits on the first computation.
    await until(() => watched.answered() >= 2);
    leaving.destroy();
    const second = await waiting;
    expect([second.status, second.headers['x-cache'], second.text]).toEqual([
      200,
      'MISS',
      'first part whole',
    ]);
    expect(calls).toBe(2);
    await until(async () => (await store.get('GET /long?')) !== null);
    expect((await request(`${url}/long`)).text).toBe('first part whole');
  });
});
