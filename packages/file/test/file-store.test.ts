import { pbkdf2 } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { descriptorsInto, entryPath, fakeClock, freshDir, text } from './helpers.js';

describe('FileStore', () => {
  it('declares frozen, honest capabilities', () => {
    const store = new FileStore({ path: freshDir() });
    expect(store.capabilities).toEqual({
      persistent: true,
      shared: true,
      nativeExpiry: false,
      deleteExpired: true,
    });
    expect(Object.isFrozen(store.capabilities)).toBe(true);
  });

  it('touches nothing on disk until first use', async () => {
    const path = `${freshDir()}/lazy/root`;
    const store = new FileStore({ path });
    expect(existsSync(path)).toBe(false);
    expect(await store.get('k')).toBeNull();
    expect(existsSync(path)).toBe(true);
  });

  it('round-trips awkward keys as distinct entries', async () => {
    const store = new FileStore({ path: freshDir() });
    const keys = ['', 'a', 'A', '/', '..', '../x', 'a:b', '*', '\0', '🙂', 'x'.repeat(10_000)];
    for (const [i, key] of keys.entries()) await store.set(key, `v${i}`);
    for (const [i, key] of keys.entries()) expect(text(await store.get(key))).toBe(`v${i}`);
  });

  it('stores the empty value as a value', async () => {
    const store = new FileStore({ path: freshDir() });
    await store.set('empty', new Uint8Array(0));
    expect(await store.get('empty')).toEqual(new Uint8Array(0));
    expect(await store.exists('empty')).toBe(true);
  });

  it('copies values in and out', async () => {
    const store = new FileStore({ path: freshDir() });
    const input = Uint8Array.of(1, 2, 3);
    await store.set('k', input);
    input[0] = 9;
    const first = await store.get('k');
    expect(first).toEqual(Uint8Array.of(1, 2, 3));
    if (first !== null) first[1] = 9;
    expect(await store.get('k')).toEqual(Uint8Array.of(1, 2, 3));
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
  });

  it('stores the bytes of the call, even when the caller reuses its array at once', async () => {
    const store = new FileStore({ path: freshDir() }).withNamespace('n');
    const input = new Uint8Array(20_000).fill(1);
    const writes = [store.set('a', input), store.setIfAbsent('b', input)];
    input.fill(2);
    writes.push(store.set('c', input.subarray(5, 105)), store.setIfAbsent('d', input));
    input.fill(3);
    await Promise.all(writes);
    expect(await store.get('a')).toEqual(new Uint8Array(20_000).fill(1));
    expect(await store.get('b')).toEqual(new Uint8Array(20_000).fill(1));
    expect(await store.get('c')).toEqual(new Uint8Array(100).fill(2));
    expect(await store.get('d')).toEqual(new Uint8Array(20_000).fill(2));
  });

  it('reads entries whose key alone is longer than the first read of 16 KiB', async () => {
    const clock = fakeClock();
    const store = new FileStore({ path: freshDir(), now: clock.now }).withNamespace('n');
    // Each key differs from the next only in its last character, past the first read.
    const keys = [20_000, 40_000].flatMap((length) =>
      ['a', 'b'].map((last) => `${'k'.repeat(length - 1)}${last}`),
    );
    for (const [i, key] of keys.entries()) {
      await store.set(key, new Uint8Array(i * 7_000).fill(i + 1), { expiresIn: 60 });
    }
    for (const [i, key] of keys.entries()) {
      expect(await store.get(key)).toEqual(new Uint8Array(i * 7_000).fill(i + 1));
      expect(await store.exists(key)).toBe(true);
      expect(await store.expiresIn(key)).toBe(60);
    }
    expect(await store.touch(keys[0] ?? '', { expiresIn: 120 })).toBe(true);
    expect(await store.expiresIn(keys[0] ?? '')).toBe(120);
    const listed: string[] = [];
    for await (const key of store.keys()) listed.push(key);
    expect(listed.sort()).toEqual([...keys].sort());
    expect(await store.exists(`${'k'.repeat(19_999)}c`)).toBe(false);
  });

  it('hands out each value in a buffer of its own size, untouched by later reads', async () => {
    const store = new FileStore({ path: freshDir() }).withNamespace('n');
    const sizes = [0, 1, 100, 4096, 10_240, 16_000, 40_000];
    const keys = sizes.flatMap((size) => Array.from({ length: 20 }, (_, i) => `${size}:${i}`));
    const expected = (key: string) => {
      const [size = '0', i = '0'] = key.split(':');
      return new Uint8Array(Number(size)).fill(Number(i) + 1);
    };
    for (const key of keys) await store.set(key, expected(key));
    // Reads of every size at once, then as many again: first reads share scratch buffers.
    const first = await Promise.all(keys.map((key) => store.get(key)));
    await Promise.all(keys.map((key) => store.get(key)));
    for (const [i, key] of keys.entries()) {
      const value = first[i] ?? null;
      expect(value).toEqual(expected(key));
      if (value !== null && value.length <= 16_000) {
        expect(value.buffer.byteLength).toBe(value.length);
      }
    }
  });

  // The open descriptors are listed by /proc.
  it.runIf(process.platform === 'linux')(
    'has closed every descriptor a write opened when it resolves, and every one by close()',
    async () => {
      const path = freshDir();
      for (const syncReads of [false, true]) {
        const root = new FileStore({ path, syncReads });
        const store = root.withNamespace('n');
        for (let i = 0; i < 50; i++) await store.set(`k${i}`, 'v', { expiresIn: 60 });
        expect(descriptorsInto(path)).toEqual([]);
        await store.get('k1', { renewFor: 60 });
        await store.touch('k4', { expiresIn: 60 });
        await store.delete('k5');
        for await (const _ of store.keys()) break;
        expect(descriptorsInto(path)).toEqual([]);
        // A read alone answers before its descriptor has closed, and many at once after; the
        // root's close() waits for those still closing.
        await Promise.all([
          ...Array.from({ length: 500 }, (_, i) => store.get(`k${i % 50}`)),
          store.exists('k2'),
          store.expiresIn('k3'),
          store.get('missing'),
        ]);
        expect(text(await store.get('k0'))).toBe('v');
        expect(await store.exists('k2')).toBe(true);
        expect(await store.expiresIn('k3')).toBeGreaterThan(0);
        await root.close();
        expect(descriptorsInto(path)).toEqual([]);
      }
    },
  );

  it('shares data between two stores on the same directory', async () => {
    const path = freshDir();
    await new FileStore({ path }).set('k', 'shared');
    expect(text(await new FileStore({ path }).get('k'))).toBe('shared');
  });

  it('deletes one entry and ignores a missing one', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('k', 'v');
    await store.delete('k');
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
    expect(existsSync(entryPath(path, 'k'))).toBe(false);
  });

  it('rejects every call after close with STORE_CLOSED, children included', async () => {
    const store = new FileStore({ path: freshDir() });
    const child = store.withNamespace('c');
    await store.close();
    await store.close();
    await expect(store.get('k')).rejects.toSatisfy((e) => StoreError.is(e, 'STORE_CLOSED'));
    await expect(child.deleteExpired()).rejects.toSatisfy((e) => StoreError.is(e, 'STORE_CLOSED'));
  });
});

describe('expiry with an injected clock', () => {
  it('hides an entry from every read at the inclusive boundary', async () => {
    const clock = fakeClock();
    const store = new FileStore({ path: freshDir(), now: clock.now });
    await store.set('k', 'v', { expiresIn: 10 });
    clock.advance(9_999);
    expect(await store.expiresIn('k')).toBe(0.001);
    expect(await store.exists('k')).toBe(true);
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(await store.exists('k')).toBe(false);
    expect(await store.expiresIn('k')).toBeNull();
  });

  it('agrees on expiry across stores, because the expiry is wall-clock time in the file', async () => {
    const path = freshDir();
    const clock = fakeClock();
    await new FileStore({ path, now: clock.now }).set('k', 'v', { expiresIn: 5 });
    const other = new FileStore({ path, now: () => clock.now() + 2_000 });
    expect(await other.expiresIn('k')).toBe(3);
  });

  it('works with a clock that returns fractional ms', async () => {
    const store = new FileStore({ path: freshDir(), now: () => 1_700_000_000_000.75 });
    await store.set('k', 'v', { expiresIn: 1.5 });
    expect(await store.expiresIn('k')).toBe(1.5);
    expect(text(await store.get('k', { renewFor: 2 }))).toBe('v');
    expect(await store.expiresIn('k')).toBe(2);
  });

  it('renews an expiring entry from now and leaves one without expiry alone', async () => {
    const clock = fakeClock();
    const store = new FileStore({ path: freshDir(), now: clock.now });
    await store.set('ttl', 'v', { expiresIn: 10 });
    await store.set('forever', 'v');
    clock.advance(8_000);
    expect(text(await store.get('ttl', { renewFor: 86_400 }))).toBe('v');
    expect(await store.expiresIn('ttl')).toBe(86_400);
    expect(text(await store.get('forever', { renewFor: 5 }))).toBe('v');
    expect(await store.expiresIn('forever')).toBe(Number.POSITIVE_INFINITY);
  });

  it('does not renew an entry that has already expired', async () => {
    const clock = fakeClock();
    const store = new FileStore({ path: freshDir(), now: clock.now });
    await store.set('k', 'v', { expiresIn: 1 });
    clock.advance(1_000);
    expect(await store.get('k', { renewFor: 60 })).toBeNull();
    expect(await store.exists('k')).toBe(false);
  });
});

describe('namespaces', () => {
  it('keeps namespaces apart, however the names look', async () => {
    const path = freshDir();
    const root = new FileStore({ path });
    const stores = [
      root,
      root.withNamespace('a'),
      root.withNamespace('A'),
      root.withNamespace('a').withNamespace('b'),
      root.withNamespace('a/b'),
      root.withNamespace('a_b'),
      root.withNamespace('a:b'),
      root.withNamespace('..'),
      root.withNamespace('ns-a'),
      root.withNamespace('ab'),
    ];
    for (const [i, store] of stores.entries()) await store.set('k', `v${i}`);
    for (const [i, store] of stores.entries()) expect(text(await store.get('k'))).toBe(`v${i}`);
    expect(new Set(stores.map((s) => s.directory)).size).toBe(stores.length);
  });

  it('deleteAll clears the namespace and its children, not the parent or a sibling', async () => {
    const path = freshDir();
    const root = new FileStore({ path });
    const a = root.withNamespace('a');
    const child = a.withNamespace('child');
    const sibling = root.withNamespace('ab');
    await Promise.all([
      root.set('k', 'r'),
      a.set('k', 'a'),
      child.set('k', 'c'),
      sibling.set('k', 's'),
    ]);
    await a.deleteAll();
    expect(await a.get('k')).toBeNull();
    expect(await child.get('k')).toBeNull();
    expect(text(await root.get('k'))).toBe('r');
    expect(text(await sibling.get('k'))).toBe('s');
    expect(existsSync(a.directory)).toBe(false);
    await a.set('again', 'works');
    expect(text(await a.get('again'))).toBe('works');
  });

  it('deleteAll on the root leaves the root directory, empty', async () => {
    const path = freshDir();
    const root = new FileStore({ path });
    await root.set('k', 'v');
    await root.withNamespace('n').set('k', 'v');
    await root.deleteAll();
    expect(readdirSync(path)).toEqual([]);
  });

  it('closing a child leaves the root usable', async () => {
    const root = new FileStore({ path: freshDir() });
    await root.withNamespace('c').close();
    await root.set('k', 'v');
    expect(text(await root.get('k'))).toBe('v');
  });
});

describe('durable: true', () => {
  it('writes, renews and deletes like the default', async () => {
    const store = new FileStore({ path: `${freshDir()}/deep/er`, durable: true });
    const ns = store.withNamespace('n');
    await ns.set('k', 'v', { expiresIn: 60 });
    expect(text(await ns.get('k', { renewFor: 120 }))).toBe('v');
    expect(await ns.expiresIn('k')).toBeGreaterThan(60);
    await ns.delete('k');
    expect(await ns.exists('k')).toBe(false);
  });
});

describe('syncReads: true', () => {
  /** Occupies every thread of libuv's pool; `first` resolves as soon as one is free again. */
  function busyPool(): { first: Promise<unknown>; all: Promise<unknown> } {
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const jobs = Array.from(
      { length: threads },
      () => new Promise<void>((done) => pbkdf2('p', 's', 300_000, 64, 'sha512', () => done())),
    );
    return { first: Promise.race(jobs), all: Promise.all(jobs) };
  }

  /** Whether `read` settles while every pool thread is busy (false: it waited for one). */
  async function settlesWhilePoolBusy(read: () => Promise<unknown>): Promise<boolean> {
    let freed = false;
    const pool = busyPool();
    const first = pool.first.then(() => {
      freed = true;
    });
    await read();
    const during = !freed;
    await Promise.all([first, pool.all]);
    return during;
  }

  it('reads without the thread pool, and writes through it as before', async () => {
    const path = freshDir();
    const store = new FileStore({ path, syncReads: true }).withNamespace('n');
    await store.set('k', 'v', { expiresIn: 60 });
    expect(await settlesWhilePoolBusy(() => store.get('k'))).toBe(true);
    expect(await settlesWhilePoolBusy(() => store.get('k', { renewFor: 120 }))).toBe(true);
    expect(await settlesWhilePoolBusy(() => store.exists('k'))).toBe(true);
    expect(await settlesWhilePoolBusy(() => store.touch('k', { expiresIn: 30 }))).toBe(true);
    expect(await store.expiresIn('k')).toBeLessThanOrEqual(30);
    expect(text(await store.get('missing'))).toBeNull();
    // The default goes through the pool: the same read waits for it.
    const plain = new FileStore({ path }).withNamespace('n');
    expect(await settlesWhilePoolBusy(() => plain.get('k'))).toBe(false);
    expect(text(await plain.get('k'))).toBe('v');
  });

  it('keeps renews asynchronous when durable', async () => {
    const store = new FileStore({ path: freshDir(), syncReads: true, durable: true });
    await store.set('k', 'v', { expiresIn: 60 });
    expect(await settlesWhilePoolBusy(() => store.get('k'))).toBe(true);
    expect(await settlesWhilePoolBusy(() => store.get('k', { renewFor: 120 }))).toBe(false);
  });

  it('rejects a syncReads that is not a boolean, naming it', () => {
    expect(() => new FileStore({ path: freshDir(), syncReads: 1 as unknown as boolean })).toThrow(
      /syncReads are booleans/,
    );
  });
});
