import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { allKeys, entryPath, fakeClock, freshDir, place, text } from './helpers.js';

const codeOf = (error: unknown) => (StoreError.is(error) ? error.code : error);

/** Every file in `key`'s shard directory: after an operation, only the entry should be there. */
function shardFiles(dir: string, key: string): string[] {
  const shard = dirname(entryPath(dir, key));
  return existsSync(shard) ? readdirSync(shard) : [];
}

describe('increment()', () => {
  it('gives 200 concurrent calls in one process the distinct results 1..200', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const results = await Promise.all(Array.from({ length: 200 }, () => store.increment('c')));
    expect([...results].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(text(await store.get('c'))).toBe('200');
    expect(shardFiles(path, 'c')).toEqual([entryPath(path, 'c').slice(-64)]);
  });

  it('applies calls in order, failing only the one that overflows', async () => {
    const store = new FileStore({ path: freshDir() });
    await store.set('c', String(Number.MAX_SAFE_INTEGER - 1));
    const settled = await Promise.allSettled([
      store.increment('c'),
      store.increment('c'),
      store.increment('c', { by: -5 }),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: Number.MAX_SAFE_INTEGER });
    expect(settled[1]?.status === 'rejected' && codeOf(settled[1].reason)).toBe(
      'STORE_INVALID_ARGUMENT',
    );
    expect(settled[2]).toEqual({ status: 'fulfilled', value: Number.MAX_SAFE_INTEGER - 5 });
    expect(text(await store.get('c'))).toBe(String(Number.MAX_SAFE_INTEGER - 5));
  });

  it('rejects every call on an entry that is not a counter, and leaves it as it was', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('c', 'not a number', { expiresIn: 60 });
    const before = readFileSync(entryPath(path, 'c'));
    const settled = await Promise.allSettled([
      store.increment('c'),
      store.setIfAbsent('c', 'x'),
      store.increment('c', { by: 2 }),
    ]);
    expect(settled.map((s) => (s.status === 'rejected' ? codeOf(s.reason) : s.value))).toEqual([
      'STORE_INVALID_VALUE',
      false,
      'STORE_INVALID_VALUE',
    ]);
    expect(readFileSync(entryPath(path, 'c'))).toEqual(before);
  });

  it('keeps the expiry of an existing entry and sets one only on creation', async () => {
    const clock = fakeClock();
    const store = new FileStore({ path: freshDir(), now: clock.now });
    expect(await store.increment('c', { expiresIn: 10 })).toBe(1);
    clock.advance(4_000);
    expect(await store.increment('c', { expiresIn: 100 })).toBe(2);
    expect(await store.expiresIn('c')).toBe(6);
    clock.advance(6_000);
    expect(await store.increment('c', { by: 5 })).toBe(5);
    expect(await store.expiresIn('c')).toBe(Number.POSITIVE_INFINITY);
  });

  it('works with durable: true', async () => {
    const store = new FileStore({ path: freshDir(), durable: true }).withNamespace('n');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.increment('c')));
    expect(Math.max(...results)).toBe(20);
  });
});

describe('setIfAbsent()', () => {
  it('lets exactly one of 50 concurrent calls in one process win, and stores its value', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const won = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.setIfAbsent('k', `v${i}`, { expiresIn: 60 })),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(text(await store.get('k'))).toBe(`v${won.indexOf(true)}`);
    expect(shardFiles(path, 'k')).toEqual([entryPath(path, 'k').slice(-64)]);
  });

  it('replaces a foreign or corrupt file at the entry path, which reads as missing', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    place(entryPath(path, 'k'), 'foreign');
    expect(await store.setIfAbsent('k', 'mine')).toBe(true);
    expect(text(await store.get('k'))).toBe('mine');
    expect(await store.setIfAbsent('k', 'again')).toBe(false);
  });

  it('does not overwrite a plain set that created the entry after its read', async () => {
    // The entry is created with link(), which fails if a set created the file meanwhile.
    const store = new FileStore({ path: freshDir() });
    for (let i = 0; i < 200; i++) {
      const key = `k${i}`;
      const [won] = await Promise.all([
        store.setIfAbsent(key, 'conditional'),
        store.set(key, 'plain'),
      ]);
      const value = text(await store.get(key));
      // Either the setIfAbsent came first (and the set replaced it), or it saw the set's entry.
      expect(value === 'plain' || (won && value === 'conditional')).toBe(true);
      if (!won) expect(value).toBe('plain');
    }
  });
});

describe('delete()', () => {
  it('resolves true only for an unexpired entry, and removes expired ones too', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('live', 'v', { expiresIn: 10 });
    await store.set('old', 'v', { expiresIn: 1 });
    clock.advance(1_000);
    expect(await store.delete('live')).toBe(true);
    expect(await store.delete('live')).toBe(false);
    expect(await store.delete('old')).toBe(false);
    expect(existsSync(entryPath(path, 'old'))).toBe(false);
    expect(await store.delete('never')).toBe(false);
  });

  it('resolves false for a foreign file at the entry path, and removes it', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    place(entryPath(path, 'k'), 'foreign');
    expect(await store.delete('k')).toBe(false);
    expect(existsSync(entryPath(path, 'k'))).toBe(false);
  });

  it('leaves a directory at the entry path alone', async () => {
    const path = freshDir();
    mkdirSync(entryPath(path, 'k'), { recursive: true });
    expect(await new FileStore({ path }).delete('k')).toBe(false);
    expect(existsSync(entryPath(path, 'k'))).toBe(true);
  });

  it('lets exactly one of 20 concurrent deletes of an entry resolve true', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    for (let round = 0; round < 20; round++) {
      await store.set('k', 'v');
      const removed = await Promise.all(Array.from({ length: 20 }, () => store.delete('k')));
      expect(removed.filter(Boolean)).toHaveLength(1);
    }
    expect(shardFiles(path, 'k')).toEqual([]);
  });
});

describe('touch()', () => {
  it('rewrites only the 8 expiry bytes at offset 16', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('k', 'value');
    const before = readFileSync(entryPath(path, 'k'));
    expect(await store.touch('k', { expiresIn: 30 })).toBe(true);
    const after = readFileSync(entryPath(path, 'k'));
    expect(after.readBigUInt64BE(16)).toBe(BigInt(clock.now() + 30_000));
    expect(after.subarray(0, 16)).toEqual(before.subarray(0, 16));
    expect(after.subarray(24)).toEqual(before.subarray(24));
  });

  it('resolves false for a missing or expired entry and creates nothing', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('old', 'v', { expiresIn: 1 });
    clock.advance(1_000);
    expect(await store.touch('old', { expiresIn: 60 })).toBe(false);
    expect(await store.exists('old')).toBe(false);
    expect(await store.touch('never', { expiresIn: 60 })).toBe(false);
    expect(existsSync(entryPath(path, 'never'))).toBe(false);
  });
});

describe('keys()', () => {
  it('yields the keys of valid entries only, skipping foreign, misplaced and child files', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('a', 'v');
    await store.set('b🙂', 'v');
    await store.withNamespace('child').set('c', 'v');
    // Copies of a's entry under another key's name, and in another shard: get never looks there.
    const copy = (to: string) => {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(entryPath(path, 'a'), to);
    };
    copy(entryPath(path, 'zz'));
    const name = entryPath(path, 'a').slice(-64);
    copy(join(path, name.startsWith('00') ? '01' : '00', name));
    writeFileSync(join(dirname(entryPath(path, 'a')), 'f'.repeat(64)), 'foreign');
    writeFileSync(join(path, 'notes.txt'), 'foreign');
    expect(await allKeys(store.keys())).toEqual(['a', 'b🙂']);
    expect(await allKeys(store.keys({ prefix: 'b' }))).toEqual(['b🙂']);
    expect(await allKeys(store.keys({ prefix: 'b🙂' }))).toEqual(['b🙂']);
    expect(await allKeys(store.keys({ prefix: 'c' }))).toEqual([]);
  });

  it('reads keys longer than its first read of each file', async () => {
    const store = new FileStore({ path: freshDir() });
    const long = `${'k'.repeat(5_000)}é`;
    await store.set(long, 'v');
    expect(await allKeys(store.keys({ prefix: 'kk' }))).toEqual([long]);
  });

  it('closes every file when the loop is left early', async () => {
    const store = new FileStore({ path: freshDir() });
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.set(`k${i}`, 'v')));
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    let seen = 0;
    for await (const _ of store.keys()) if (++seen === 20) break;
    expect(seen).toBe(20);
    expect(open()).toBe(before);
    expect(await allKeys(store.keys())).toHaveLength(300);
  });

  it('yields nothing for a namespace that was never written', async () => {
    const store = new FileStore({ path: freshDir() }).withNamespace('empty');
    expect(await allKeys(store.keys())).toEqual([]);
  });
});
