import { constants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { constants as fs } from 'node:fs';
import { type FileHandle, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreError } from '@stores/core';
import { declaredSize } from './format.js';

/** The `code` of a Node.js system error (`ENOENT`, ...), or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `error` as `STORE_IO` naming the failed action and path, the original as `cause`. */
export function ioError(action: string, path: string, error: unknown): StoreError {
  if (StoreError.is(error)) return error;
  const reason = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
  return new StoreError('STORE_IO', `FileStore cannot ${action} ${path}: ${reason}`, {
    cause: error,
  });
}

/** Runs a file operation, turning any failure into `STORE_IO` with the original as `cause`. */
export async function io<T>(action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw ioError(action, path, error);
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

// What opening an entry path yields when something other than a regular file is there: a
// symbolic link (ELOOP, as O_NOFOLLOW refuses it), a directory (opened for writing), a socket.
const NOT_AN_ENTRY = ['ENOENT', 'EISDIR', 'ELOOP', 'ENXIO'];
// Never follow a link at the entry's name; never block on a FIFO someone put there. (Windows
// defines neither flag, and has no such links or FIFOs here.)
const ENTRY_FLAGS = (fs.O_NOFOLLOW ?? 0) | (fs.O_NONBLOCK ?? 0);

/**
 * Opens the entry file `file` for reading (and writing, if `writable`) without following a
 * link; `undefined` if nothing, or something that cannot be an entry, is there.
 */
export function openEntry(file: string, writable: boolean): Promise<FileHandle | undefined> {
  const flags = (writable ? fs.O_RDWR : fs.O_RDONLY) | ENTRY_FLAGS;
  return unless(NOT_AN_ENTRY, undefined, () => open(file, flags));
}

/**
 * The whole content of an open file of `size` bytes, or `undefined` if it is no longer that
 * long or too large for one buffer.
 */
export async function readWhole(handle: FileHandle, size: number): Promise<Uint8Array | undefined> {
  if (size > constants.MAX_LENGTH) return undefined;
  const bytes = await readHead(handle, size);
  return bytes.length === size ? bytes : undefined;
}

// One read of this many bytes takes in the whole of most entry files, without a stat first.
const FIRST_READ = 16 * 1024;
// What reading an entry descriptor yields when it is no regular file: a directory, a FIFO
// (ESPIPE for a positioned read, EAGAIN with no data).
const NOT_READABLE = ['EISDIR', 'ESPIPE', 'EAGAIN', 'EINVAL'];

/** The start of an open file and its size, as `readFront` reads them. */
export interface FileFront {
  /** The first bytes of the file: all of it when `size` is at most 16 KiB. */
  front: Uint8Array;
  size: number;
}

/**
 * The first 16 KiB of the file behind `handle` and its size, or `undefined` if it is no regular
 * file. A file up to 16 KiB (most entries) takes one read and no stat: a read of a regular file
 * comes back short only at its end. `front` is a view into a buffer of 16 KiB whose unread part
 * is uninitialised: copy what you hand out.
 */
export async function readFront(handle: FileHandle): Promise<FileFront | undefined> {
  const buffer = Buffer.allocUnsafe(FIRST_READ);
  const read = await unless(NOT_READABLE, undefined, () => handle.read(buffer, 0, FIRST_READ, 0));
  if (read === undefined) return undefined;
  const front = buffer.subarray(0, read.bytesRead);
  if (read.bytesRead < FIRST_READ) return { front, size: read.bytesRead };
  const info = await handle.stat();
  return info.isFile() ? { front, size: info.size } : undefined;
}

/**
 * The whole entry file behind `handle` in a buffer of its own, or `undefined` if it is none
 * (not a regular file, or not as long as its header declares).
 */
export async function readEntryFile(handle: FileHandle): Promise<Uint8Array | undefined> {
  const read = await readFront(handle);
  if (read === undefined || declaredSize(read.front) !== read.size) return undefined;
  // A copy of exactly the file when the first read held it all; else the rest is read too.
  return read.size <= read.front.length ? new Uint8Array(read.front) : readWhole(handle, read.size);
}

/** The first `length` bytes of an open file (fewer if it is shorter). */
export async function readHead(handle: FileHandle, length: number): Promise<Uint8Array> {
  const head = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(head, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return head.subarray(0, filled);
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

// A sweep may remove an empty directory between ensure() and our open: try again.
const OPEN_ATTEMPTS = 4;

/**
 * Creates the new file `file` exclusively (never through a link at its name), calling `ensure`
 * to create its directory only if that is missing, so the common case costs one system call.
 */
export async function createExclusive(
  file: string,
  ensure: () => Promise<void>,
): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(file, 'wx');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt === OPEN_ATTEMPTS) throw error;
    }
    await ensure();
  }
}

/**
 * Writes `bytes` to a new temp file beside `file` and resolves its path; with `durable`, the
 * data is synced first. A failed write removes the temp file and rejects.
 */
export async function writeTemp(
  file: string,
  bytes: Uint8Array,
  durable: boolean,
  ensure: () => Promise<void>,
): Promise<string> {
  const temp = tempNameFor(file);
  const handle = await io('create', temp, () => createExclusive(temp, ensure));
  try {
    await io('write', temp, async () => {
      try {
        await handle.writeFile(bytes);
        if (durable) await handle.sync();
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  return temp;
}

/**
 * Replaces `file` with `bytes` atomically: a temp file in the same directory, renamed over the
 * target, so readers see the old or the new file, never a part. With `durable`, the file is
 * synced before the rename and the directory after it.
 */
export async function writeAtomic(
  file: string,
  bytes: Uint8Array,
  durable: boolean,
  ensure: () => Promise<void>,
): Promise<void> {
  const temp = await writeTemp(file, bytes, durable, ensure);
  try {
    await io('rename into', file, () => rename(temp, file));
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  if (durable) await io('sync', dirname(file), () => syncDirectory(dirname(file)));
}

/** Removes `file` if it is there; a temp file that cannot be removed is swept later. */
export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
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
