import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore, STALE_TEMP_MS } from '../src/index.js';
import { entryPath, fakeClock, freshDir, text, walk } from './helpers.js';

describe('deleteExpired()', () => {
  it('removes expired entries of the namespace and every namespace below it, and counts them', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const root = new FileStore({ path, now: clock.now });
    const a = root.withNamespace('a');
    const deep = a.withNamespace('b').withNamespace('C');
    const sibling = root.withNamespace('other');
    for (const store of [root, a, deep, sibling]) {
      await store.set('short', 'v', { expiresIn: 1 });
      await store.set('long', 'v', { expiresIn: 100 });
      await store.set('forever', 'v');
    }
    clock.advance(1_000);
    expect(await a.deleteExpired()).toBe(2);
    expect(existsSync(entryPath(a.directory, 'short'))).toBe(false);
    expect(existsSync(entryPath(deep.directory, 'short'))).toBe(false);
    expect(existsSync(entryPath(root.directory, 'short'))).toBe(true);
    expect(existsSync(entryPath(sibling.directory, 'short'))).toBe(true);
    expect(await root.deleteExpired()).toBe(2);
    for (const store of [root, a, deep, sibling]) {
      expect(text(await store.get('long'))).toBe('v');
      expect(text(await store.get('forever'))).toBe('v');
    }
    clock.advance(99_000);
    expect(await root.deleteExpired()).toBe(4);
    expect(await root.deleteExpired()).toBe(0);
  });

  it('does not crash on, or touch, foreign files, directories and links', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const root = new FileStore({ path, now: clock.now });
    const ns = root.withNamespace('n');
    await ns.set('k', 'v', { expiresIn: 1 });
    const shard = dirname(entryPath(ns.directory, 'k'));
    const foreign = [
      join(path, 'random.txt'),
      join(path, 'ns-looks-like-a-namespace-but-is-a-file'),
      join(path, 'ab'), // a file with a shard's name
      join(ns.directory, 'unknown', 'deep', 'file'),
      join(shard, 'zz-not-an-entry'),
      join(shard, `${'0'.repeat(64)}.tmp`), // near miss of the temp pattern
      join(ns.directory, 'ns-child', 'cd', 'foreign'),
    ];
    for (const file of foreign) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'foreign');
    }
    mkdirSync(join(shard, 'f'.repeat(64))); // a directory with an entry's name
    const outside = freshDir('outside');
    await new FileStore({ path: outside }).set('k', 'v', { expiresIn: 1 });
    const { symlinkSync } = await import('node:fs');
    symlinkSync(outside, join(ns.directory, 'ns-link')); // never followed
    clock.advance(5_000);
    expect(await root.deleteExpired()).toBe(1);
    for (const file of foreign) expect(existsSync(file)).toBe(true);
    expect(existsSync(join(shard, 'f'.repeat(64)))).toBe(true);
    expect(walk(outside)).toHaveLength(2);
    await root.deleteAll();
    for (const file of foreign) expect(existsSync(file)).toBe(true);
    expect(walk(outside)).toHaveLength(2);
  });

  it('prunes empty directories it swept, but never the root', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const root = new FileStore({ path, now: clock.now });
    await root.withNamespace('x').withNamespace('y').set('k', 'v', { expiresIn: 1 });
    await root.set('k', 'v', { expiresIn: 1 });
    clock.advance(1_000);
    expect(await root.deleteExpired()).toBe(2);
    expect(readdirSync(path)).toEqual([]);
  });

  it('removes temp files only once they are stale by the injected clock, without counting them', async () => {
    const path = freshDir();
    const clock = fakeClock(Date.now());
    const store = new FileStore({ path, now: clock.now });
    await store.set('k', 'v');
    const temp = `${entryPath(path, 'k')}.0123456789abcdef.tmp`;
    writeFileSync(temp, 'half a write');
    expect(await store.deleteExpired()).toBe(0);
    expect(existsSync(temp)).toBe(true); // could be another process's write in flight
    clock.advance(STALE_TEMP_MS - 60_000);
    await store.deleteExpired();
    expect(existsSync(temp)).toBe(true);
    clock.advance(120_000);
    expect(await store.deleteExpired()).toBe(0);
    expect(existsSync(temp)).toBe(false);
    expect(text(await store.get('k'))).toBe('v');
  });

  it('judges staleness by the last write to the temp file', async () => {
    const path = freshDir();
    const store = new FileStore({ path, now: () => Date.now() + STALE_TEMP_MS + 60_000 });
    await store.set('k', 'v');
    const old = `${entryPath(path, 'k')}.aaaaaaaaaaaaaaaa.tmp`;
    const recent = `${entryPath(path, 'k')}.bbbbbbbbbbbbbbbb.tmp`;
    writeFileSync(old, 'x');
    writeFileSync(recent, 'x');
    utimesSync(recent, new Date(Date.now() + STALE_TEMP_MS), new Date(Date.now() + STALE_TEMP_MS));
    await store.deleteExpired();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });

  it('never removes a value that a concurrent set wrote over an expired entry', async () => {
    const path = freshDir();
    const writer = new FileStore({ path });
    // Two minutes ahead: the 60 s entries are expired, the temp files of the sets are not stale.
    const sweeper = new FileStore({ path, now: () => Date.now() + 120_000 });
    const keys = Array.from({ length: 1000 }, (_, i) => `race-${i}`);
    let swept = 0;
    for (let round = 0; round < 3; round++) {
      await Promise.all(keys.map((k) => writer.set(k, 'old', { expiresIn: 60 })));
      const sweep = sweeper.deleteExpired();
      // Waves of sets spread over the whole sweep, so some land between its look and its move.
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((k) => writer.set(k, `new-${round}`)));
      }
      swept += await sweep;
      for (const k of keys) expect(text(await writer.get(k))).toBe(`new-${round}`);
    }
    console.log(`sweep-vs-set: ${swept} expired entries swept while ${keys.length * 3} sets raced`);
  });

  it('never removes an entry that a concurrent renew extended before the sweep moved it', async () => {
    const clock = fakeClock(Date.now());
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('k', 'v', { expiresIn: 10 });
    const sweeper = new FileStore({ path, now: () => clock.now() + 10_000 });
    // The renew completes before the sweep starts: the sweep must see the new expiry.
    await store.get('k', { renewFor: 60 });
    expect(await sweeper.deleteExpired()).toBe(0);
    expect(text(await store.get('k'))).toBe('v');
  });
});
