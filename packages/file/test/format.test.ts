import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileStore, FORMAT_VERSION } from '../src/index.js';
import { entryPath, fakeClock, freshDir, place, text } from './helpers.js';

const MAGIC = [0x89, 0x53, 0x54, 0x4f, 0x52, 0x45, 0x53, 0x0a];

/** Builds a version-1 entry file by hand, straight from the README's table. */
function handMade(key: string, value: string, expiresAt: bigint): Buffer {
  const k = Buffer.from(key, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const header = Buffer.alloc(36);
  Buffer.from(MAGIC).copy(header, 0);
  header.writeUInt32BE(1, 8);
  header.writeUInt32BE(k.length, 12);
  header.writeBigUInt64BE(expiresAt, 16);
  header.writeBigUInt64BE(BigInt(v.length), 24);
  header.writeUInt32BE(crc32(v, crc32(k)), 32);
  return Buffer.concat([header, k, v]);
}

describe('entry file format, version 1', () => {
  it('is laid out byte by byte as documented', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('ké', 'value', { expiresIn: 2 });
    const file = readFileSync(entryPath(path, 'ké'));
    expect(FORMAT_VERSION).toBe(1);
    expect(file).toEqual(handMade('ké', 'value', 1_700_000_002_000n));
    await store.set('forever', '');
    expect(readFileSync(entryPath(path, 'forever'))).toEqual(
      handMade('forever', '', 0xffff_ffff_ffff_ffffn),
    );
  });

  it('reads a file written by another implementation of the format', async () => {
    const path = freshDir();
    place(entryPath(path, 'k'), handMade('k', 'from elsewhere', 0xffff_ffff_ffff_ffffn));
    const store = new FileStore({ path });
    expect(text(await store.get('k'))).toBe('from elsewhere');
    expect(await store.expiresIn('k')).toBe(Number.POSITIVE_INFINITY);
  });

  it('renews by rewriting only the 8 expiry bytes at offset 16', async () => {
    const clock = fakeClock();
    const path = freshDir();
    const store = new FileStore({ path, now: clock.now });
    await store.set('k', 'v', { expiresIn: 1 });
    const before = readFileSync(entryPath(path, 'k'));
    await store.get('k', { renewFor: 50 });
    const after = readFileSync(entryPath(path, 'k'));
    expect(after.readBigUInt64BE(16)).toBe(BigInt(clock.now() + 50_000));
    expect(after.subarray(0, 16)).toEqual(before.subarray(0, 16));
    expect(after.subarray(24)).toEqual(before.subarray(24));
  });
});

describe('files that are not valid entries read as missing', () => {
  const good = (key: string) => handMade(key, 'value', 0xffff_ffff_ffff_ffffn);
  const cases: [string, (key: string) => Uint8Array | string][] = [
    ['a foreign text file', () => 'hello, I am not yours'],
    ['an empty file', () => ''],
    ['a truncated entry', (key) => good(key).subarray(0, good(key).length - 1)],
    ['an entry with a byte appended', (key) => Buffer.concat([good(key), Buffer.of(0)])],
    ['an entry of a future format version', (key) => withVersion(good(key), 2)],
    ['an entry for another key with the same name (collision)', () => good('other key')],
  ];

  for (const [name, content] of cases) {
    it(`${name}: get, exists and expiresIn see nothing, set replaces it`, async () => {
      const path = freshDir();
      const store = new FileStore({ path });
      place(entryPath(path, 'k'), content('k'));
      expect(await store.get('k')).toBeNull();
      expect(await store.get('k', { renewFor: 10 })).toBeNull();
      expect(await store.exists('k')).toBe(false);
      expect(await store.expiresIn('k')).toBeNull();
      expect(await store.deleteExpired()).toBe(0);
      await store.set('k', 'mine');
      expect(text(await store.get('k'))).toBe('mine');
    });
  }

  it('an entry with a flipped value bit: get sees nothing, exists and expiresIn (header only) see it', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    place(entryPath(path, 'k'), flip(good('k'), good('k').length - 1));
    expect(await store.get('k')).toBeNull();
    expect(await store.get('k', { renewFor: 10 })).toBeNull();
    // Only get reads the value and its checksum; the header and stored key are intact.
    expect(await store.exists('k')).toBe(true);
    expect(await store.expiresIn('k')).toBe(Number.POSITIVE_INFINITY);
    await store.set('k', 'mine');
    expect(text(await store.get('k'))).toBe('mine');
  });

  it('a FIFO where an entry file would be reads as missing without blocking', async () => {
    const path = freshDir();
    const file = entryPath(path, 'k');
    mkdirSync(dirname(file), { recursive: true });
    execFileSync('mkfifo', [file]);
    const store = new FileStore({ path });
    expect(await store.get('k')).toBeNull();
    expect(await store.exists('k')).toBe(false);
    expect(await store.touch('k', { expiresIn: 5 })).toBe(false);
    expect(await store.increment('k')).toBe(1);
  });

  it('a directory where an entry file would be reads as missing', async () => {
    const path = freshDir();
    mkdirSync(entryPath(path, 'k'), { recursive: true });
    const store = new FileStore({ path });
    expect(await store.get('k')).toBeNull();
    expect(await store.get('k', { renewFor: 1 })).toBeNull();
    expect(await store.exists('k')).toBe(false);
  });

  it('a symbolic link at an entry path is not followed, even to a valid entry', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('k', 'real');
    const target = join(freshDir('elsewhere'), 'entry');
    writeFileSync(target, handMade('k', 'elsewhere', 0xffff_ffff_ffff_ffffn));
    const file = entryPath(path, 'k');
    rmSync(file);
    symlinkSync(target, file);
    expect(await store.get('k')).toBeNull();
    expect(await store.get('k', { renewFor: 5 })).toBeNull();
    expect(await store.exists('k')).toBe(false);
    await store.deleteAll();
    expect(readFileSync(target)).toEqual(handMade('k', 'elsewhere', 0xffff_ffff_ffff_ffffn));
  });

  it('deleteAll removes only files that carry the magic, leaving foreign ones', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const ns = store.withNamespace('n');
    await store.set('mine', 'v');
    await ns.set('mine', 'v');
    const foreignEntry = entryPath(path, 'foreign');
    place(foreignEntry, 'not ours, although the name looks like it');
    place(join(path, 'notes.txt'), 'foreign');
    place(join(path, 'zz', 'foreign'), 'foreign in a non-shard directory');
    place(join(ns.directory, 'ab', 'README'), 'foreign in a shard directory');
    await store.deleteAll();
    expect(await store.exists('mine')).toBe(false);
    expect(await ns.exists('mine')).toBe(false);
    expect(readFileSync(foreignEntry, 'utf8')).toBe('not ours, although the name looks like it');
    expect(readFileSync(join(path, 'notes.txt'), 'utf8')).toBe('foreign');
    expect(readFileSync(join(path, 'zz', 'foreign'), 'utf8')).toBe(
      'foreign in a non-shard directory',
    );
    expect(readFileSync(join(ns.directory, 'ab', 'README'), 'utf8')).toBe(
      'foreign in a shard directory',
    );
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 1;
  return copy;
}

function withVersion(bytes: Buffer, version: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32BE(version, 8);
  return copy;
}
