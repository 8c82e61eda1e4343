import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { isRealDirectory } from './directories.js';
import { decodeExpiry, decodeHeader, HEADER_SIZE, hasMagic, MAGIC } from './format.js';
import { lstat, readdir, rmdir, unlink } from './fs.js';
import { io, openEntry, readHead, removeIf, syncDirectory, unless } from './io.js';
import {
  isEntryName,
  isLockName,
  isNamespaceName,
  isShardName,
  isTempName,
  sha256Hex,
} from './layout.js';
import { removeStaleLock } from './lock.js';

/*
 * Walks of a namespace directory: sweeps (deleteAll, deleteExpired) and key listings. They go
 * only into directories named like the layout that are real directories, never links, and
 * touch only files named like the layout.
 */

/** A temp file untouched for this long belongs to a crashed writer; `deleteExpired()` removes it. */
export const STALE_TEMP_MS: number = 60 * 60 * 1000;

// Files handled in parallel per directory: enough to keep libuv's thread pool busy.
const CONCURRENCY = 16;
// Directory errors that mean "not empty any more / already gone": leave the directory be.
const KEEP_DIRECTORY = ['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'];
// Bytes read past the header at first when listing keys: most keys fit, longer ones cost a read more.
const KEY_BYTES_GUESS = 256;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What a sweep removes: every entry of ours, or only expired ones. */
export type SweepMode = 'all' | 'expired';

/**
 * Sweeps namespace directory `dir` and the namespaces below it; both modes also remove stale
 * temp files, take over stale locks and prune emptied sub-directories. Resolves to the number
 * of entries removed.
 */
export async function sweepNamespace(
  dir: string,
  mode: SweepMode,
  now: number,
  durable: boolean,
): Promise<number> {
  let removed = 0;
  for (const child of await listDirectory(dir)) {
    if (!child.isDirectory()) continue;
    const shard = isShardName(child.name);
    if (!shard && !isNamespaceName(child.name)) continue;
    const path = join(dir, child.name);
    // Listed as a directory, but it may have been swapped for a link since.
    if (!(await isRealDirectory(path))) continue;
    removed += shard
      ? await sweepShard(path, mode, now, durable)
      : await sweepNamespace(path, mode, now, durable);
    await removeEmptyDirectory(path);
  }
  return removed;
}

async function sweepShard(
  shard: string,
  mode: SweepMode,
  now: number,
  durable: boolean,
): Promise<number> {
  let removed = 0;
  await forEachLimit(await listDirectory(shard), async (entry) => {
    if (!entry.isFile()) return;
    const file = join(shard, entry.name);
    if (isTempName(entry.name)) {
      await io('remove stale temp file', file, () => removeStaleTemp(file, now));
    } else if (isLockName(entry.name)) {
      await io('take over stale lock', file, () => removeStaleLock(file));
    } else if (isEntryName(entry.name)) {
      const gone = await io('sweep', file, () =>
        mode === 'all' ? removeOurs(file) : removeExpired(file, now),
      );
      if (gone) removed++;
    }
  });
  if (removed > 0 && durable) await io('sync', shard, () => syncDirectory(shard));
  return removed;
}

/**
 * Streams the keys of the unexpired entries in namespace directory `dir` that start with
 * `prefix` (UTF-8 bytes), one shard listing in memory at a time, reading each entry's header
 * and key only. `now` is read once per group of files.
 */
export async function* namespaceKeys(
  dir: string,
  prefix: Uint8Array | undefined,
  now: () => number,
): AsyncGenerator<string, void, undefined> {
  for (const child of await listDirectory(dir)) {
    if (!child.isDirectory() || !isShardName(child.name)) continue;
    const shard = join(dir, child.name);
    if (!(await isRealDirectory(shard))) continue;
    // An entry in the wrong shard is not where get() looks for it: not a key of the store.
    const names = (await listDirectory(shard))
      .filter((e) => e.isFile() && isEntryName(e.name) && e.name.startsWith(child.name))
      .map((e) => e.name);
    for (let i = 0; i < names.length; i += CONCURRENCY) {
      const at = now();
      const keys = await Promise.all(
        names.slice(i, i + CONCURRENCY).map((name) => {
          const file = join(shard, name);
          return io('read', file, () => readKey(file, name, prefix, at));
        }),
      );
      for (const key of keys) if (key !== undefined) yield key;
    }
  }
}

/**
 * The key of entry file `file` (named `name`) if it is a valid, unexpired entry whose key
 * starts with `prefix` and hashes to its name; a foreign, corrupt or misplaced file is skipped.
 */
async function readKey(
  file: string,
  name: string,
  prefix: Uint8Array | undefined,
  now: number,
): Promise<string | undefined> {
  const handle = await openEntry(file, false);
  if (handle === undefined) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    let head = await readHead(handle, Math.min(info.size, HEADER_SIZE + KEY_BYTES_GUESS));
    const header = decodeHeader(head, info.size);
    if (header === undefined || now >= header.expiresAt) return undefined;
    const end = HEADER_SIZE + header.keyLength;
    if (head.length < end) head = await readHead(handle, end);
    const key = head.subarray(HEADER_SIZE, end);
    if (prefix !== undefined && !startsWith(key, prefix)) return undefined;
    if (key.length !== header.keyLength || sha256Hex(key) !== name) return undefined;
    return decodeKey(key);
  } finally {
    await handle.close();
  }
}

/** The key as a string, or `undefined` if the bytes are not UTF-8 (not a key this package wrote). */
function decodeKey(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** The entries of `dir` with their types (a link is a link, not what it points to); none if it is gone. */
async function listDirectory(dir: string): Promise<Dirent[]> {
  return io('list', dir, () => unless(['ENOENT'], [] as Dirent[], () => readdir(dir)));
}

/**
 * Removes `dir` if it is empty. A writer that loses this race recreates it (see
 * ensureDirectories); a directory holding anything at all, foreign files included, stays.
 */
export async function removeEmptyDirectory(dir: string): Promise<void> {
  await io('remove directory', dir, () => unless(KEEP_DIRECTORY, undefined, () => rmdir(dir)));
}

/** The first `length` bytes of `file` (fewer if it is shorter); empty if it is not an entry. */
async function readFileHead(file: string, length: number): Promise<Uint8Array> {
  const handle = await openEntry(file, false);
  if (handle === undefined) return new Uint8Array(0);
  try {
    return await readHead(handle, length);
  } finally {
    await handle.close();
  }
}

/** Removes `file` if it carries the magic, i.e. this package wrote it. */
async function removeOurs(file: string): Promise<boolean> {
  if (!hasMagic(await readFileHead(file, MAGIC.length))) return false;
  return unless(['ENOENT'], false, async () => {
    await unlink(file);
    return true;
  });
}

/** Removes `file` if it is an expired entry, re-checking after moving it aside (see removeIf). */
async function removeExpired(file: string, now: number): Promise<boolean> {
  const isExpired = async (path: string) => {
    const expiresAt = decodeExpiry(await readFileHead(path, HEADER_SIZE));
    return expiresAt !== undefined && now >= expiresAt;
  };
  if (!(await isExpired(file))) return false;
  return removeIf(file, isExpired);
}

/** Removes temp file `file` if nothing wrote to it for `STALE_TEMP_MS`. */
async function removeStaleTemp(file: string, now: number): Promise<void> {
  const info = await unless(['ENOENT'], undefined, () => lstat(file));
  if (info === undefined || now - info.mtimeMs < STALE_TEMP_MS) return;
  await unless(['ENOENT'], undefined, () => unlink(file));
}

/** Runs `task` over `items` with at most `CONCURRENCY` in flight; rejects with the first failure. */
async function forEachLimit<T>(
  items: readonly T[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
