import { describeEachBackend } from '@stores/test-backends';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../src/index.js';
import {
  Browser,
  cookieExpiry,
  EXPRESS_VERSIONS,
  expiryOf,
  rawBytes,
  serve,
  storedJson,
} from './helpers.js';

const MINUTE_MS = 60_000;

await describeEachBackend((backend) => {
  for (const [label, express] of EXPRESS_VERSIONS) {
    describe(label, () => {
      describe('a session over HTTP', () => {
        it('is created, stored under its id and read back with its cookie', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }));
          const browser = new Browser();

          const first = await browser.get(`${url}/views`);
          expect(first).toMatchObject({ status: 200, setCookie: true, body: { views: 1 } });
          expect(await storedJson(store, first.body.id)).toMatchObject({ views: 1 });

          const second = await browser.get(`${url}/views`);
          expect(second.body).toEqual({ id: first.body.id, views: 2 });
          expect(await storedJson(store, first.body.id)).toMatchObject({ views: 2 });
        });

        it('is stored until its cookie expires', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }), {
            cookie: { maxAge: MINUTE_MS },
          });
          const { body } = await new Browser().get(`${url}/views`);

          const expires = cookieExpiry(await rawBytes(store, body.id));
          const expiry = await expiryOf(store, body.id);
          // The entry expires when the cookie does: never before, and only by the write's latency after.
          expect(expiry.upper).toBeGreaterThanOrEqual(expires - 2);
          expect(expiry.lower).toBeLessThanOrEqual(expires + 1000);
        });

        it('is stored for a day when its cookie has no expiry', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }));
          const { body } = await new Browser().get(`${url}/views`);

          const seconds = await store.expiresIn(body.id);
          expect(seconds).toBeLessThanOrEqual(86_400);
          expect(seconds).toBeGreaterThan(86_400 - 60);
        });

        it('is destroyed: removed from the store, and the cookie then finds nothing', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }));
          const browser = new Browser();
          const { body } = await browser.get(`${url}/views`);

          expect((await browser.get(`${url}/destroy`)).status).toBe(200);
          expect(await store.exists(body.id)).toBe(false);
          expect((await browser.get(`${url}/peek`)).body.views).toBeNull();
        });
      });

      describe('errors', () => {
        it('hands a failing store’s StoreError to the error handler', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }));
          const browser = new Browser();
          await browser.get(`${url}/views`);

          await store.close();
          const reply = await browser.get(`${url}/peek`);
          expect(reply.status).toBe(500);
          expect(reply.body.code).toBe('STORE_CLOSED');
        });

        it('hands an unparsable stored session to the error handler as STORE_INVALID_VALUE', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }));
          const browser = new Browser();
          const { body } = await browser.get(`${url}/views`);

          await store.set(body.id, 'not json');
          const reply = await browser.get(`${url}/peek`);
          expect(reply.status).toBe(500);
          expect(reply.body.code).toBe('STORE_INVALID_VALUE');
        });
      });
    });
  }
});
