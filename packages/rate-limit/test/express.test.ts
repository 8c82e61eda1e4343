import { randomUUID } from 'node:crypto';
import type { Store } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import express from 'express';
import { type Options, rateLimit } from 'express-rate-limit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateLimitStore } from '../src/express.js';
import { type Listening, listen } from './http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fields of a draft-7 `RateLimit` header: `limit=3, remaining=0, reset=60`. */
function rateLimitHeader(response: Response): Record<string, number> {
  const header = response.headers.get('ratelimit') ?? '';
  return Object.fromEntries(
    header.split(', ').map((field) => {
      const [name, value] = field.split('=');
      return [name, Number(value)];
    }),
  );
}

await describeEachBackend((backend) => {
  let store: Store;
  let server: Listening | undefined;
  let client: string;
  beforeEach(() => {
    store = backend.open();
    client = `client-${randomUUID()}`;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server limiting by the x-client header, its route answering `status`. */
  async function serve(limitStore: RateLimitStore, options: Partial<Options>, status = 200) {
    const app = express();
    const limiter = rateLimit({
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: (request) => request.get('x-client') ?? 'anonymous',
      store: limitStore,
      ...options,
    });
    app.use(limiter);
    app.get('/', (_request, response) => {
      response.status(status).send('done');
    });
    server = await listen(app);
    const url = server.url;
    return {
      limiter,
      request: async () => {
        const response = await fetch(url, { headers: { 'x-client': client } });
        await response.text();
        return response;
      },
    };
  }

  describe('RateLimitStore with express-rate-limit', () => {
    it('lets limit requests through, then answers 429 with RateLimit headers from the window', async () => {
      const { request } = await serve(new RateLimitStore({ store }), {
        limit: 3,
        windowMs: 60_000,
      });
      const responses = [];
      for (let i = 0; i < 5; i++) responses.push(await request());
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
      expect(responses.map((r) => rateLimitHeader(r).remaining)).toEqual([2, 1, 0, 0, 0]);
      for (const response of responses) {
        expect(response.headers.get('ratelimit-policy')).toBe('3;w=60');
        expect(rateLimitHeader(response).reset).toBeGreaterThan(50);
        expect(rateLimitHeader(response).reset).toBeLessThanOrEqual(60);
      }
      const retryAfter = Number(responses[4]?.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(50);
      expect(retryAfter).toBeLessThanOrEqual(60);
    });

    it("counts in the store under the prefix, for the middleware's windowMs", async () => {
      const { request } = await serve(new RateLimitStore({ store, prefix: 'api:' }), {
        limit: 3,
        windowMs: 30_000,
      });
      await request();
      await request();
      expect(new TextDecoder().decode((await store.get(`api:${client}`)) ?? undefined)).toBe('2');
      const left = await store.expiresIn(`api:${client}`);
      expect(left).toBeGreaterThan(20);
      expect(left).toBeLessThanOrEqual(30);
    });

    it('lets requests through again once windowMs has passed', async () => {
      const { request } = await serve(new RateLimitStore({ store }), { limit: 1, windowMs: 500 });
      expect((await request()).status).toBe(200);
      const refused = await request();
      expect(refused.status).toBe(429);
      await sleep(750);
      expect((await request()).status).toBe(200);
    });

    it('refunds failed requests with skipFailedRequests (decrement)', async () => {
      const limitStore = new RateLimitStore({ store });
      const decrement = limitStore.decrement.bind(limitStore);
      let refunded = () => {};
      limitStore.decrement = async (key) => {
        await decrement(key);
        refunded();
      };
      const { limiter, request } = await serve(
        limitStore,
        { limit: 1, windowMs: 60_000, skipFailedRequests: true },
        500,
      );
      for (let i = 0; i < 3; i++) {
        // The middleware refunds after the response is sent: wait for it before the next one.
        const landed = new Promise<void>((resolve) => {
          refunded = resolve;
        });
        expect((await request()).status).toBe(500);
        await landed;
      }
      expect(await limiter.getKey(client)).toMatchObject({ totalHits: 0 });
    });

    it('reports the real window end when refunds took the count back to 0 (skipSuccessfulRequests)', async () => {
      const { request } = await serve(new RateLimitStore({ store }), {
        limit: 5,
        windowMs: 60_000,
        skipSuccessfulRequests: true,
      });
      expect(rateLimitHeader(await request()).reset).toBe(60);
      await sleep(1100);
      // Refunded after each response, so this request counts 1 again in a window 1.1 s old.
      expect(rateLimitHeader(await request()).reset).toBeLessThanOrEqual(59);
    });

    it('fails the request when the store fails, rather than letting it through', async () => {
      const { request } = await serve(new RateLimitStore({ store }), {
        limit: 5,
        windowMs: 60_000,
      });
      await store.close();
      expect((await request()).status).toBe(500);
    });

    it('serves getKey and resetKey from the store', async () => {
      const { limiter, request } = await serve(new RateLimitStore({ store }), {
        limit: 1,
        windowMs: 60_000,
      });
      expect(await limiter.getKey(client)).toBeUndefined();
      await request();
      const info = await limiter.getKey(client);
      expect(info?.totalHits).toBe(1);
      expect(info?.resetTime).toBeInstanceOf(Date);
      expect((info?.resetTime?.getTime() ?? 0) - Date.now()).toBeGreaterThan(50_000);
      expect((await request()).status).toBe(429);
      await limiter.resetKey(client);
      expect((await request()).status).toBe(200);
    });
  });

  describe('RateLimitStore.decrement()', () => {
    it('of a client without a window leaves no window behind', async () => {
      const limitStore = new RateLimitStore({ store });
      limitStore.init({ windowMs: 60_000 });
      await limitStore.decrement(client);
      await sleep(50);
      expect(await limitStore.get(client)).toBeUndefined();
      expect(await limitStore.increment(client)).toMatchObject({ totalHits: 1 });
    });
  });
});
