import { randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreError } from '@stores/core';

/** The `code` of a Node.js system error (`ENOENT`, ...), or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Runs a file operation, turning any failure into `STORE_IO` with the original as `cause`. */
export async function io<T>(action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (StoreError.is(error)) throw error;
    const reason = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
    throw new StoreError('STORE_IO', `FileStore cannot ${action} ${path}: ${reason}`, {
      cause: error,
    });
  }
}

/** Runs `operation`, resolving to `fallback` if it fails with one of `codes`. */
export async function unless<T>(
  codes: readonly string[],
  fallback: T,
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const code = errorCode(error);
    if (code !== undefined && codes.includes(code)) return fallback;
    throw error;
  }
}

/** A fresh temporary name next to `file`, matching the pattern sweeps recognise. */
export function tempNameFor(file: string): string {
  return `${file}.${randomBytes(8).toString('hex')}.tmp`;
}

/** Flushes a directory's entries (names created, renamed or removed) to the device. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` and its missing parents. With `durable`, syncs the parent of every directory it
 * created, so the new directories survive power loss.
 */
export async function makeDirectory(dir: string, durable: boolean): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (!durable || created === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDirectory(dirname(d));
    if (d === created || dirname(d) === d) break;
  }
}

// A sweep may remove an empty directory between our mkdir and our open: try again.
const OPEN_ATTEMPTS = 4;

/**
 * Creates the exclusive new file `file` in `dir`, creating `dir` (and missing parents) only if
 * it is missing, so the common case costs one system call.
 */
async function createInDirectory(dir: string, file: string, durable: boolean): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(file, 'wx');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt === OPEN_ATTEMPTS) throw error;
    }
    await makeDirectory(dir, durable);
  }
}

/**
 * Replaces `file` (in directory `dir`) with `bytes` atomically: a temp file in the same
 * directory, renamed over the target, so readers see the old or the new file, never a part.
 * With `durable`, the file is synced before the rename and the directory after it.
 */
export async function writeAtomic(
  dir: string,
  file: string,
  bytes: Uint8Array,
  durable: boolean,
): Promise<void> {
  const temp = tempNameFor(file);
  const handle = await io('create', temp, () => createInDirectory(dir, temp, durable));
  try {
    await io('write', temp, async () => {
      try {
        await handle.writeFile(bytes);
        if (durable) await handle.sync();
      } finally {
        await handle.close();
      }
    });
    await io('rename into', file, () => rename(temp, file));
  } catch (error) {
    // The write already failed and is reported; a temp file we cannot remove is swept later.
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (durable) await io('sync', dir, () => syncDirectory(dir));
}

/**
 * Moves `file` aside, lets `decide` look at what was moved, then removes it (`true`) or puts it
 * back (`false`) unless a newer file took its place meanwhile. The moved inode is what gets
 * removed, so a file that replaced the one we looked at earlier is never deleted by mistake.
 * Resolves to whether a file was removed.
 */
export async function removeIf(
  file: string,
  decide: (moved: string) => Promise<boolean>,
): Promise<boolean> {
  const moved = tempNameFor(file);
  const taken = await unless(['ENOENT'], false, async () => {
    await rename(file, moved);
    return true;
  });
  if (!taken) return false;
  let remove = false;
  try {
    remove = await decide(moved);
  } finally {
    if (!remove) await putBack(moved, file);
    await unless(['ENOENT'], undefined, () => unlink(moved));
  }
  return remove;
}

/** Links `moved` back as `file`, unless a newer file is there now (that one wins). */
async function putBack(moved: string, file: string): Promise<void> {
  try {
    await link(moved, file);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return;
    // A file system without hard links: rename back, which a newer file in a double race loses.
    await rename(moved, file);
  }
}
