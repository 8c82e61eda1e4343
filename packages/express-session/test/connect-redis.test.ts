import { describeEachBackend } from '@stores/test-backends';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SessionStore } from '../src/index.js';
import { Browser, serve } from './helpers.js';

// connect-redis keeps a session under `<prefix><id>` as JSON; a root RedisStore (or ValkeyStore)
// with namespace N keeps key k as `N:k`. So namespace N reads and writes prefix `N:` — the
// default `sess:` is namespace 'sess'; each test uses a unique one on the shared server.
await describeEachBackend(
  (backend) => {
    async function bothApps(): Promise<{
      connectRedis: string;
      stores: string;
      sessionStore: SessionStore;
    }> {
      const spec = backend.freshSpec();
      if (spec.url === undefined || spec.namespace === undefined) throw new Error('needs a server');
      const client = backend.name === 'valkey' ? new Valkey(spec.url) : new Redis(spec.url);
      onTestFinished(async () => {
        await client.quit();
      });
      const sessionStore = new SessionStore({ store: backend.open(spec) });
      return {
        connectRedis: await serve(
          express,
          new ConnectRedisStore({ client, prefix: `${spec.namespace}:` }),
        ),
        stores: await serve(express, sessionStore),
        sessionStore,
      };
    }

    describe('connect-redis data', () => {
      it('is read and updated by SessionStore, and connect-redis reads the update', async () => {
        const apps = await bothApps();
        const browser = new Browser();

        const created = await browser.get(`${apps.connectRedis}/views`);
        expect((await browser.get(`${apps.stores}/peek`)).body).toEqual({
          id: created.body.id,
          views: 1,
        });
        expect(await apps.sessionStore.ids()).toEqual([created.body.id]);
        expect((await browser.get(`${apps.stores}/views`)).body.views).toBe(2);
        expect((await browser.get(`${apps.connectRedis}/peek`)).body).toEqual({
          id: created.body.id,
          views: 2,
        });
      });

      it('is written by SessionStore in the form connect-redis reads', async () => {
        const apps = await bothApps();
        const browser = new Browser();

        const created = await browser.get(`${apps.stores}/views`);
        expect((await browser.get(`${apps.connectRedis}/peek`)).body).toEqual({
          id: created.body.id,
          views: 1,
        });
      });
    });
  },
  ['redis', 'valkey'],
);
