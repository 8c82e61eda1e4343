import type { HttpBindings } from '@hono/node-server';
import { MemoryStore } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import { type Env, Hono } from 'hono';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResponseCache } from '../src/index.js';
import { honoFetchFramework, listeningHono } from './support/frameworks.js';
import { request } from './support/http.js';
import { defineRules } from './support/rules.js';

await describeEachBackend((backend) => defineRules(honoFetchFramework, backend));

async function start<E extends Env>(app: Hono<E>) {
  const store = new MemoryStore();
  const cache = new ResponseCache({ store });
  const running = await listeningHono(cache.fetch(app.fetch));
  onTestFinished(() => running.close());
  return { store, url: running.url };
}

describe('fetch() under Hono', () => {
  it('caches a whole app: serve({ fetch: cache.fetch(app.fetch) })', async () => {
    let calls = 0;
    const app = new Hono()
      .get('/a', (c) => c.text(`a ${++calls}`))
      .get('/b', (c) => c.text(`b ${++calls}`));
    const { url } = await start(app);
    expect((await request(`${url}/a`)).text).toBe('a 1');
    expect((await request(`${url}/b`)).text).toBe('b 2');
    expect((await request(`${url}/a`)).text).toBe('a 1');
  });

  it("hands the server's arguments to the handler (Hono's env: the node request)", async () => {
    const app = new Hono<{ Bindings: HttpBindings }>().get('/env', (c) =>
      c.text(`incoming ${c.env.incoming.url}`),
    );
    const { url } = await start(app);
    expect((await request(`${url}/env?x=1`)).text).toBe('incoming /env?x=1');
  });

  it('replays a redirect made with c.redirect (a Response with immutable headers)', async () => {
    let calls = 0;
    const app = new Hono().get('/old', (c) => {
      calls++;
      return c.redirect('/new', 308);
    });
    const { url } = await start(app);
    await request(`${url}/old`);
    const hit = await request(`${url}/old`);
    expect([hit.status, hit.headers.location, hit.headers['x-cache'], calls]).toEqual([
      308,
      '/new',
      'HIT',
      1,
    ]);
  });

  it('fails the request and stores nothing when the body stream fails', async () => {
    let calls = 0;
    const app = new Hono().get('/broken', () => {
      calls++;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('half'));
          controller.error(new Error('the stream broke'));
        },
      });
      return new Response(body);
    });
    const { store, url } = await start(app);
    expect((await request(`${url}/broken`)).status).toBe(500);
    expect(await store.get('GET /broken?')).toBeNull();
    expect((await request(`${url}/broken`)).status).toBe(500);
    expect(calls).toBe(2);
  });
});
