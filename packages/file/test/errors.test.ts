import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { entryPath, freshDir, text } from './helpers.js';

/** Asserts `promise` rejects with STORE_IO carrying the file system error as its cause. */
async function expectIo(promise: Promise<unknown>, causeCode: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.is(error, 'STORE_IO')).toBe(true);
  expect((error as StoreError).cause).toMatchObject({ code: causeCode });
}

describe('file system failures reject with STORE_IO and the cause', () => {
  it('a root below a regular file (ENOTDIR) fails every operation', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'file'), 'x');
    const store = new FileStore({ path: join(dir, 'file', 'root') });
    await expectIo(store.set('k', 'v'), 'ENOTDIR');
    await expectIo(store.get('k'), 'ENOTDIR');
    await expectIo(store.deleteAll(), 'ENOTDIR');
    await expectIo(store.deleteExpired(), 'ENOTDIR');
  });

  it('a root that is a regular file fails', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'file'), 'x');
    await expectIo(new FileStore({ path: join(dir, 'file') }).set('k', 'v'), 'EEXIST');
  });

  it('a file where the shard directory belongs fails the write', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    writeFileSync(dirname(entryPath(path, 'k')), 'in the way');
    await expectIo(store.set('k', 'v'), 'ENOTDIR');
    await expectIo(store.get('k'), 'ENOTDIR');
    await expectIo(store.delete('k'), 'ENOTDIR');
  });

  it('a file where a namespace directory belongs fails the write', async () => {
    const path = freshDir();
    writeFileSync(join(path, 'ns-sessions'), 'in the way');
    await expectIo(new FileStore({ path }).withNamespace('sessions').set('k', 'v'), 'ENOTDIR');
  });

  it('a failed rename (a directory at the entry path) fails the write and leaves no temp file', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const file = entryPath(path, 'k');
    mkdirSync(join(file, 'occupied'), { recursive: true });
    const error = await store.set('k', 'v').catch((e: unknown) => e);
    expect(StoreError.is(error, 'STORE_IO')).toBe(true);
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(
      (error as { cause: { code: string } }).cause.code,
    );
    expect(readdirSync(dirname(file))).toEqual([file.slice(-64)]);
  });

  it('keeps working once the obstacle is gone', async () => {
    const path = freshDir();
    const store = new FileStore({ path: join(path, 'root'), createDirectories: false });
    await expectIo(store.get('k'), 'ENOENT');
    mkdirSync(join(path, 'root'));
    await store.set('k', 'v');
    expect(text(await store.get('k'))).toBe('v');
  });
});

describe('createDirectories: false', () => {
  it('rejects the first use of a missing root with STORE_IO and creates nothing', async () => {
    const path = join(freshDir(), 'missing');
    const store = new FileStore({ path, createDirectories: false });
    await expectIo(store.set('k', 'v'), 'ENOENT');
    await expectIo(store.exists('k'), 'ENOENT');
    await expectIo(store.withNamespace('n').set('k', 'v'), 'ENOENT');
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it('rejects a root that is a file', async () => {
    const path = join(freshDir(), 'file');
    writeFileSync(path, 'x');
    const error = await new FileStore({ path, createDirectories: false }).get('k').catch((e) => e);
    expect(StoreError.is(error, 'STORE_IO')).toBe(true);
  });

  it('never recreates a root (or its parents) removed after first use, whatever writes', async () => {
    const parent = join(freshDir(), 'parent');
    const path = join(parent, 'root');
    mkdirSync(path, { recursive: true });
    const store = new FileStore({ path, createDirectories: false });
    const child = store.withNamespace('n');
    await store.set('k', 'v');
    await child.set('k', 'v');
    rmSync(parent, { recursive: true });
    await expectIo(store.set('k', 'v'), 'ENOENT');
    await expectIo(child.set('k', 'v'), 'ENOENT');
    await expectIo(store.setIfAbsent('new', 'v'), 'ENOENT');
    await expectIo(child.increment('counter'), 'ENOENT');
    expect(existsSync(parent)).toBe(false);
    // Reads of a missing root find nothing; they create nothing either.
    expect(await store.get('k')).toBeNull();
    expect(await child.delete('k')).toBe(false);
    expect(existsSync(parent)).toBe(false);
    mkdirSync(path, { recursive: true });
    await child.set('k', 'back');
    expect(text(await child.get('k'))).toBe('back');
  });

  it('with the default, recreates a removed root and its parents on the next write', async () => {
    const parent = join(freshDir(), 'parent');
    const store = new FileStore({ path: join(parent, 'root') }).withNamespace('n');
    await store.set('k', 'v');
    rmSync(parent, { recursive: true });
    await store.set('k', 'again');
    expect(text(await store.get('k'))).toBe('again');
    expect(await store.increment('counter')).toBe(1);
  });

  it('uses an existing root and still creates sub-directories', async () => {
    const path = freshDir();
    const store = new FileStore({ path, createDirectories: false }).withNamespace('n');
    await store.set('k', 'v');
    expect(text(await store.get('k'))).toBe('v');
  });
});

describe('options', () => {
  const invalid: [string, unknown][] = [
    ['no options', undefined],
    ['an empty path', { path: '' }],
    ['a path with NUL', { path: 'a\0b' }],
    ['a non-boolean durable', { path: '/tmp/x', durable: 'yes' }],
    ['a non-boolean createDirectories', { path: '/tmp/x', createDirectories: 1 }],
    ['a non-function clock', { path: '/tmp/x', now: 5 }],
  ];
  for (const [name, options] of invalid) {
    it(`rejects ${name} with STORE_INVALID_ARGUMENT`, () => {
      expect(() => new FileStore(options as never)).toThrow(
        expect.objectContaining({ code: 'STORE_INVALID_ARGUMENT' }),
      );
    });
  }
});
