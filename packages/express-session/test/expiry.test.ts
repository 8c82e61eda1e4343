import { describeEachBackend } from '@stores/test-backends';
import type { SessionOptions } from 'express-session';
import { describe, expect, it } from 'vitest';
import { SessionStore, type SessionStoreOptions } from '../src/index.js';
import {
  Browser,
  cookieExpiry,
  EXPRESS_VERSIONS,
  type ExpiryBounds,
  expiryOf,
  type Reply,
  rawBytes,
  serve,
  sleep,
} from './helpers.js';

// Tests that wait for time to pass, apart from the others so the two files run side by side.

const MINUTE_MS = 60_000;

/** What the store holds for a session at one moment. */
interface Snapshot {
  readonly bytes: Uint8Array;
  readonly expiry: ExpiryBounds;
}

await describeEachBackend((backend) => {
  for (const [label, express] of EXPRESS_VERSIONS) {
    describe(label, () => {
      describe('idle expiry', () => {
        it('removes a session idle past its maxAge, so its cookie gets a new one', async () => {
          const store = backend.open();
          const url = await serve(express, new SessionStore({ store }), {
            cookie: { maxAge: 1000 },
          });
          const browser = new Browser();
          const first = await browser.get(`${url}/views`);

          await sleep(1600);
          expect(await store.exists(first.body.id)).toBe(false);
          const next = await browser.get(`${url}/views`);
          expect(next.body.views).toBe(1);
          expect(next.body.id).not.toBe(first.body.id);
        });
      });

      /**
       * Creates a session, then reads it again (GET /peek, no change) a second later: the reply,
       * and the stored bytes and expiry before and after that read.
       */
      async function readAgainLater(
        options: {
          store?: Omit<SessionStoreOptions, 'store'>;
          session?: Partial<SessionOptions>;
        } = {},
      ): Promise<{ peek: Reply; before: Snapshot; after: Snapshot }> {
        const store = backend.open();
        const url = await serve(express, new SessionStore({ store, ...options.store }), {
          cookie: { maxAge: MINUTE_MS },
          ...options.session,
        });
        const browser = new Browser();
        const { body } = await browser.get(`${url}/views`);
        const snapshot = async (): Promise<Snapshot> => ({
          bytes: await rawBytes(store, body.id),
          expiry: await expiryOf(store, body.id),
        });
        const before = await snapshot();
        await sleep(1000);
        const peek = await browser.get(`${url}/peek`);
        expect(peek.body).toEqual({ id: body.id, views: 1 });
        return { peek, before, after: await snapshot() };
      }

      describe('touch()', () => {
        it('moves the expiry of a read-only request without rewriting the stored bytes', async () => {
          const { before, after } = await readAgainLater();
          expect(after.expiry.lower).toBeGreaterThan(before.expiry.upper);
          expect(after.bytes).toEqual(before.bytes);
        });

        it('leaves the expiry alone with disableTouch', async () => {
          const { before, after } = await readAgainLater({ store: { disableTouch: true } });
          expect(after.expiry.lower).toBeLessThanOrEqual(before.expiry.upper);
        });
      });

      describe('express-session options', () => {
        it('rolling: renews the cookie and, by touch(), the stored expiry on every response', async () => {
          const { peek, before, after } = await readAgainLater({ session: { rolling: true } });
          expect(peek.setCookie).toBe(true);
          expect(after.expiry.lower).toBeGreaterThan(before.expiry.upper);
          expect(after.bytes).toEqual(before.bytes);
        });

        it('resave: rewrites an unmodified session with its renewed cookie', async () => {
          const { before, after } = await readAgainLater({ session: { resave: true } });
          expect(cookieExpiry(after.bytes)).toBeGreaterThan(cookieExpiry(before.bytes));
          expect(after.expiry.lower).toBeGreaterThan(before.expiry.upper);
        });
      });
    });
  }
});
