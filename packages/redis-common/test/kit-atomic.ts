import type { TestServer } from '@stores/conformance/servers';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  incrementInProcesses,
  type KitClient,
  raw,
  rejectionCode,
  uid,
  utf8,
} from './kit-support.js';

/** increment() and setIfAbsent() against the server: atomicity, core's counter rules, TTLs. */
export function describeAtomicOperations<Client extends KitClient>(
  backend: Backend<Client>,
  client: Client,
  server: TestServer,
): void {
  const pttl = async (key: string): Promise<number> => Number(await raw(client, 'PTTL', key));

  describe('increment()', () => {
    it('adds exactly 2000 from 4 processes × 500 calls with 64 in flight each', async () => {
      const namespace = `processes-${uid()}`;
      const results = await incrementInProcesses(backend, { url: server.url, namespace }, 'hits', {
        processes: 4,
        count: 500,
        inFlight: 64,
      });
      const sorted = results.flat().sort((a, b) => a - b);
      expect(sorted).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
      expect(await raw(client, 'GET', `${namespace}:hits`)).toEqual(utf8('2000'));
      await backend.createStore({ client, namespace }).deleteAll();
    }, 60_000);

    it('reaches 2^53 − 1 exactly and rejects going past it, leaving the entry unchanged', async () => {
      const namespace = `limit-${uid()}`;
      const store = backend.createStore({ client, namespace });
      await store.set('up', String(Number.MAX_SAFE_INTEGER - 1), { expiresIn: 60 });
      // ioredis 6 decodes the integer reply 9007199254740991 as 9007199254740992.
      expect(await store.increment('up')).toBe(Number.MAX_SAFE_INTEGER);
      await expect(rejectionCode(store.increment('up'))).resolves.toBe('STORE_INVALID_ARGUMENT');
      expect(await raw(client, 'GET', `${namespace}:up`)).toEqual(utf8('9007199254740991'));
      expect(await pttl(`${namespace}:up`)).toBeGreaterThan(50_000);
      await store.set('down', String(-Number.MAX_SAFE_INTEGER));
      await expect(rejectionCode(store.increment('down', { by: -1 }))).resolves.toBe(
        'STORE_INVALID_ARGUMENT',
      );
      expect(await raw(client, 'GET', `${namespace}:down`)).toEqual(utf8('-9007199254740991'));
      expect(await store.increment('down', { by: Number.MAX_SAFE_INTEGER })).toBe(0);
      await store.deleteAll();
    });

    it('rejects an entry that is not a canonical counter with STORE_INVALID_VALUE, leaving it and its TTL', async () => {
      const namespace = `not-counter-${uid()}`;
      const store = backend.createStore({ client, namespace });
      // INCRBY takes the first ones (64-bit integers); core's rules do not.
      const values = [
        '9007199254740993',
        '9007199254740992',
        '-9007199254740992',
        '12345678901234567',
        'abc',
        '',
        '01',
        '-0',
        '+1',
        ' 1',
        '1 ',
        '1.5',
        '1e3',
        '\u0663',
        'x'.repeat(100),
      ].map(utf8);
      values.push(Buffer.from([0x31, 0xff]));
      for (const [i, value] of values.entries()) {
        const key = `${namespace}:k${i}`;
        await raw(client, 'SET', key, value, 'PX', 60_000);
        const error = await store.increment(`k${i}`).catch((e: unknown) => e);
        expect(StoreError.is(error, 'STORE_INVALID_VALUE'), `${value}`).toBe(true);
        expect(await raw(client, 'GET', key)).toEqual(value);
        expect(await pttl(key)).toBeGreaterThan(50_000);
      }
      await store.deleteAll();
    });

    it('rejects a key of another type (WRONGTYPE) with STORE_IO, leaving it unchanged', async () => {
      const namespace = `wrongtype-${uid()}`;
      await raw(client, 'HSET', `${namespace}:hash`, 'field', 'value');
      const store = backend.createStore({ client, namespace });
      const error = await store.increment('hash', { expiresIn: 10 }).catch((e: unknown) => e);
      expect(StoreError.is(error, 'STORE_IO')).toBe(true);
      expect(String((error as Error).cause)).toContain('WRONGTYPE');
      expect(await raw(client, 'HGETALL', `${namespace}:hash`)).toEqual([
        utf8('field'),
        utf8('value'),
      ]);
      expect(await pttl(`${namespace}:hash`)).toBe(-1);
      await store.deleteAll();
    });

    it('applies expiresIn only when it creates the key', async () => {
      const namespace = `window-${uid()}`;
      const store = backend.createStore({ client, namespace });
      expect(await store.increment('new', { expiresIn: 60 })).toBe(1);
      expect(await store.increment('new', { expiresIn: 1 })).toBe(2);
      const left = await pttl(`${namespace}:new`);
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(60_000);
      await store.set('forever', '5');
      expect(await store.increment('forever', { by: -7, expiresIn: 60 })).toBe(-2);
      expect(await pttl(`${namespace}:forever`)).toBe(-1);
      await store.deleteAll();
    });

    it('keeps the bytes INCRBY keeps, so INCRBY and increment() count together', async () => {
      const namespace = `incrby-${uid()}`;
      const store = backend.createStore({ client, namespace });
      await store.set('k', '41');
      expect(await store.increment('k')).toBe(42);
      expect(await raw(client, 'INCRBY', `${namespace}:k`, 8)).toBe(50);
      expect(await store.increment('k', { by: -60 })).toBe(-10);
      expect(await store.get('k')).toEqual(new Uint8Array(utf8('-10')));
      await store.deleteAll();
    });
  });

  describe('setIfAbsent()', () => {
    it('lets exactly one of 50 concurrent calls over 5 connections win, with its value and TTL', async () => {
      const namespace = `race-${uid()}`;
      const stores = Array.from({ length: 5 }, () => backend.fromUrl(server.url, { namespace }));
      try {
        await Promise.all(stores.map((store) => store.exists('warm'))); // all connected
        const calls = stores.flatMap((store, s) =>
          Array.from({ length: 10 }, (_, i) =>
            store.setIfAbsent('lock', `${s}-${i}`, { expiresIn: 30 }).then((won) => ({
              won,
              value: `${s}-${i}`,
            })),
          ),
        );
        const winners = (await Promise.all(calls)).filter(({ won }) => won);
        expect(winners.length).toBe(1);
        expect(await raw(client, 'GET', `${namespace}:lock`)).toEqual(
          utf8(winners[0]?.value ?? ''),
        );
        expect(await pttl(`${namespace}:lock`)).toBeGreaterThan(25_000);
        await stores[0]?.deleteAll();
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });
  });
}
