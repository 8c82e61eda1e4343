import { gunzipSync } from 'node:zlib';
import { MemoryStore } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResponseCache } from '../src/index.js';
import { honoMiddlewareFramework, listeningHono } from './support/frameworks.js';
import { request } from './support/http.js';
import { defineRules } from './support/rules.js';

await describeEachBackend((backend) => defineRules(honoMiddlewareFramework, backend));

const TEXT = 'a text worth compressing, '.repeat(80);

describe("with Hono's compress middleware", () => {
  it.each([
    ['mounted behind it (cache.hono() on the route)', 'inner'],
    ['around the whole app (cache.fetch(app.fetch))', 'outer'],
  ])('answers each client in its encoding when the cache is %s', async (_, where) => {
    let calls = 0;
    const cache = new ResponseCache({ store: new MemoryStore() });
    const app = new Hono().use(compress());
    const handler = () => {
      calls++;
      return new Response(TEXT, { headers: { 'content-type': 'text/plain' } });
    };
    if (where === 'inner') app.get('/text', cache.hono(), handler);
    else app.get('/text', handler);
    const running = await listeningHono(where === 'inner' ? app.fetch : cache.fetch(app.fetch));
    onTestFinished(() => running.close());
    const gzip = { headers: { 'accept-encoding': 'gzip' } };
    for (const round of ['MISS', 'HIT']) {
      const zipped = await request(`${running.url}/text`, gzip);
      expect([zipped.headers['x-cache'], zipped.headers['content-encoding']]).toEqual([
        round,
        'gzip',
      ]);
      expect(gunzipSync(zipped.body).toString()).toBe(TEXT);
      const plain = await request(`${running.url}/text`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.text).toBe(TEXT);
    }
    // Behind compress, one entry serves both; around it, one variant per Accept-Encoding.
    expect(calls).toBe(where === 'inner' ? 1 : 2);
  });
});
