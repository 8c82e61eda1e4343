import { StoreError, StoreRegistry } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import express from 'express';
import type { SessionData } from 'express-session';
import { describe, expect, it } from 'vitest';
import { type SessionCallback, SessionStore } from '../src/index.js';
import { Browser, rawBytes, serve } from './helpers.js';

/** A session as express-session hands it to a store, expiring at `expires` (or never). */
function sessionData(expires: Date | null, views = 1): SessionData {
  return { cookie: { originalMaxAge: null, expires }, views };
}

/** Calls `method` with a Node-style callback and resolves what it calls back with. */
function viaCallback<T>(method: (callback: SessionCallback<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    method((error, value) => (error ? reject(error) : resolve(value)));
  });
}

const inAMinute = (): Date => new Date(Date.now() + 60_000);

await describeEachBackend((backend) => {
  /** `count` sessions created over HTTP through `sessionStore`; resolves their ids. */
  async function createSessions(sessionStore: SessionStore, count: number): Promise<string[]> {
    const url = await serve(express, sessionStore);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await new Browser().get(`${url}/views`)).body.id);
    return ids;
  }

  describe('all(), ids(), length() and clear()', () => {
    it('list the sessions of their own namespace and nothing else', async () => {
      const root = backend.open();
      const registry = new StoreRegistry({ root });
      await root.set('sessions-probe', 'root entry');
      await root.withNamespace('sessions2').set('sibling', '{}');
      await root.withNamespace('sessions').withNamespace('archive').set('child', '{}');
      const sessionStore = new SessionStore({ registry });
      const ids = await createSessions(sessionStore, 3);

      const listed = await viaCallback<string[]>((cb) => sessionStore.ids(cb));
      expect(listed?.sort()).toEqual([...ids].sort());
      expect(await viaCallback<number>((cb) => sessionStore.length(cb))).toBe(3);
      const all = await viaCallback<SessionData[]>((cb) => sessionStore.all(cb));
      expect(
        all?.map((s) => ({ id: (s as { id?: string }).id, views: s.views })).sort(byId),
      ).toEqual(ids.map((id) => ({ id, views: 1 })).sort(byId));
    });

    it('clear() removes every session and leaves the parent and sibling namespaces alone', async () => {
      const root = backend.open();
      const registry = new StoreRegistry({ root });
      await root.set('sessions-probe', 'root entry');
      const sibling = root.withNamespace('sessions2');
      await sibling.set('sibling', '{}');
      const sessionStore = new SessionStore({ registry });
      await createSessions(sessionStore, 2);

      await viaCallback((cb) => sessionStore.clear(cb));
      expect(await sessionStore.length()).toBe(0);
      expect(await sessionStore.all()).toEqual([]);
      expect(await sibling.exists('sibling')).toBe(true);
      expect(await root.exists('sessions-probe')).toBe(true);
    });
  });

  describe('store resolution', () => {
    it("resolves the registry's 'sessions' store by default", async () => {
      const root = backend.open();
      const [id = ''] = await createSessions(
        new SessionStore({ registry: new StoreRegistry({ root }) }),
        1,
      );
      expect(await root.withNamespace('sessions').exists(id)).toBe(true);
    });

    it('resolves the store named by name', async () => {
      const root = backend.open();
      const [id = ''] = await createSessions(
        new SessionStore({ registry: new StoreRegistry({ root }), name: 'web' }),
        1,
      );
      expect(await root.withNamespace('web').exists(id)).toBe(true);
      expect(await root.withNamespace('sessions').exists(id)).toBe(false);
    });

    it('never closes the store it was handed', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store });
      const [id = ''] = await createSessions(sessionStore, 1);
      await sessionStore.destroy(id);
      await sessionStore.clear();

      await store.set('still-open', 'yes');
      expect(await store.exists('still-open')).toBe(true);
    });
  });

  describe('set()', () => {
    it('stores a session whose cookie has no expiry for ttl seconds', async () => {
      const store = backend.open();
      await new SessionStore({ store, ttl: 120 }).set('a', sessionData(null));
      const seconds = await store.expiresIn('a');
      expect(seconds).toBeLessThanOrEqual(120);
      expect(seconds).toBeGreaterThan(60);
    });

    it('lets a ttl function override the cookie expiry', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store, ttl: (s) => (s.views === 2 ? 300 : 30) });
      await sessionStore.set('a', sessionData(inAMinute(), 2));
      const seconds = await store.expiresIn('a');
      expect(seconds).toBeLessThanOrEqual(300);
      expect(seconds).toBeGreaterThan(240);
    });

    it('destroys instead of storing a session whose cookie already expired', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store });
      await sessionStore.set('a', sessionData(inAMinute()));

      await viaCallback<void>((cb) =>
        sessionStore.set('a', sessionData(new Date(Date.now() - 1000)), cb),
      );
      expect(await store.exists('a')).toBe(false);
    });

    it('destroys instead of storing when the ttl function returns 0', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store, ttl: () => 0 });
      await store.set('a', '{}');
      await sessionStore.set('a', sessionData(null));
      expect(await store.exists('a')).toBe(false);
    });

    it('stores what the serializer makes and reads it back through it', async () => {
      const store = backend.open();
      const serializer = {
        stringify: (s: SessionData) => `v1:${JSON.stringify(s)}`,
        parse: (text: string) => JSON.parse(text.slice(3)) as SessionData,
      };
      const sessionStore = new SessionStore({ store, serializer });
      await sessionStore.set('a', sessionData(null, 7));

      const text = new TextDecoder().decode(await rawBytes(store, 'a'));
      expect(text.startsWith('v1:{')).toBe(true);
      expect((await sessionStore.get('a'))?.views).toBe(7);
    });

    it('calls back with STORE_INVALID_VALUE when the session cannot be serialized', async () => {
      const sessionStore = new SessionStore({ store: backend.open() });
      const circular = sessionData(null) as SessionData & { self?: unknown };
      circular.self = circular;
      await expect(
        viaCallback<void>((cb) => sessionStore.set('a', circular, cb)),
      ).rejects.toSatisfy((error) => StoreError.is(error, 'STORE_INVALID_VALUE'));
    });

    it('calls back with STORE_INVALID_ARGUMENT when the ttl function returns no number', async () => {
      const sessionStore = new SessionStore({ store: backend.open(), ttl: () => Number.NaN });
      await expect(
        viaCallback<void>((cb) => sessionStore.set('a', sessionData(null), cb)),
      ).rejects.toSatisfy((error) => StoreError.is(error, 'STORE_INVALID_ARGUMENT'));
    });
  });

  describe('touch()', () => {
    it('does not create a missing session', async () => {
      const store = backend.open();
      await viaCallback<void>((cb) =>
        new SessionStore({ store }).touch('missing', sessionData(inAMinute()), cb),
      );
      expect(await store.exists('missing')).toBe(false);
    });

    it('destroys a session whose cookie already expired', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store });
      await sessionStore.set('a', sessionData(inAMinute()));
      await sessionStore.touch('a', sessionData(new Date(Date.now() - 1000)));
      expect(await store.exists('a')).toBe(false);
    });
  });

  describe('get()', () => {
    it('calls back with null for a missing session', async () => {
      const sessionStore = new SessionStore({ store: backend.open() });
      expect(await viaCallback((cb) => sessionStore.get('missing', cb))).toBeNull();
    });

    it('returns a promise when called without a callback', async () => {
      const sessionStore = new SessionStore({ store: backend.open() });
      await sessionStore.set('a', sessionData(inAMinute(), 3));
      const promise = sessionStore.get('a');
      expect(promise).toBeInstanceOf(Promise);
      expect((await promise)?.views).toBe(3);
    });
  });

  describe('destroy()', () => {
    it('rejects an awaited call but never leaves an unhandled rejection without a callback', async () => {
      const store = backend.open();
      const sessionStore = new SessionStore({ store });
      await store.close();
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        // As express-session's req.session.destroy() without a callback calls it.
        sessionStore.destroy('gone');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await expect(sessionStore.destroy('gone')).rejects.toSatisfy((error: unknown) =>
          StoreError.is(error, 'STORE_CLOSED'),
        );
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    });
  });
});

function byId(a: { id?: string | undefined }, b: { id?: string | undefined }): number {
  return (a.id ?? '').localeCompare(b.id ?? '');
}
