import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { isRealDirectory } from './directories.js';
import { decodeExpiry, decodeHeader, HEADER_SIZE, hasMagic, MAGIC } from './format.js';
import { lstat, readdir, rmdir, unlink } from './fs.js';
import { io, openEntry, readFront, readHead, removeIf, syncDirectory, unless } from './io.js';
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
// Shard and namespace directories a sweep works through at once.
const DIRECTORIES_AT_ONCE = 4;
// Directory errors that mean "not empty any more / already gone": leave the directory be.
const KEEP_DIRECTORY = ['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'];

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
  // A few directories at once: one at a time, a small namespace spent its time waiting for the
  // thread pool's round trips of 256 nearly empty shards.
  await forEachLimit(await listDirectory(dir), DIRECTORIES_AT_ONCE, async (child) => {
    if (!child.isDirectory()) return;
    const shard = isShardName(child.name);
    if (!shard && !isNamespaceName(child.name)) return;
    const path = join(dir, child.name);
    // Listed as a directory, but it may have been swapped for a link since.
    if (!(await isRealDirectory(path))) return;
    // Awaited first: `removed += await …` would add to the count read before the wait.
    const count = shard
      ? await sweepShard(path, mode, now, durable)
      : await sweepNamespace(path, mode, now, durable);
    removed += count;
    await removeEmptyDirectory(path);
  });
  return removed;
}

async function sweepShard(
  shard: string,
  mode: SweepMode,
  now: number,
  durable: boolean,
): Promise<number> {
  let removed = 0;
  await forEachLimit(await listDirectory(shard), CONCURRENCY, async (entry) => {
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
 * `prefix` (UTF-8 bytes), at most two shard listings in memory at a time, reading each entry's
 * header and key only. `now` is read once per group of files.
 */
export async function* namespaceKeys(
  dir: string,
  prefix: Uint8Array | undefined,
  now: () => number,
): AsyncGenerator<string, void, undefined> {
  const shards = (await listDirectory(dir))
    .filter((child) => child.isDirectory() && isShardName(child.name))
    .map((child) => child.name);
  // The next shard is listed while this one's entries are read.
  let next = shards.length > 0 ? listShard(dir, shards[0] ?? '') : undefined;
  try {
    for (let s = 0; next !== undefined; s++) {
      const listing = await next;
      next = s + 1 < shards.length ? listShard(dir, shards[s + 1] ?? '') : undefined;
      // A listing nobody waits for (the caller dropped the iterator) must not reject unhandled.
      next?.catch(() => undefined);
      if (listing === undefined) continue;
      const { shard, names } = listing;
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
  } finally {
    // Left early: the listing under way finishes (its directory closed) before keys() ends.
    await next?.catch(() => undefined);
  }
}

/** The entry names in shard directory `name` of `dir`; `undefined` if it is no real directory. */
async function listShard(
  dir: string,
  name: string,
): Promise<{ shard: string; names: string[] } | undefined> {
  const shard = join(dir, name);
  if (!(await isRealDirectory(shard))) return undefined;
  // An entry in the wrong shard is not where get() looks for it: not a key of the store.
  const names = (await listDirectory(shard))
    .filter((e) => e.isFile() && isEntryName(e.name) && e.name.startsWith(name))
    .map((e) => e.name);
  return { shard, names };
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
    return await readFront(handle, async ({ front, size }) => {
      const header = decodeHeader(front, size);
      if (header === undefined || now >= header.expiresAt) return undefined;
      const end = HEADER_SIZE + header.keyLength;
      // A key longer than the first read (over 16 KiB): the rest of it is read.
      const head = front.length >= end ? front : await readHead(handle, end, front);
      const key = head.subarray(HEADER_SIZE, end);
      if (prefix !== undefined && !startsWith(key, prefix)) return undefined;
      if (key.length !== header.keyLength || sha256Hex(key) !== name) return undefined;
      return decodeKey(key);
    });
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

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
