import { constants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { constants as fs } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '@stores/core';
import { type DecodedEntry, declaredSize, decodeEntry } from './format.js';
import {
  ASYNC_CALLS,
  type EntryCalls,
  link,
  mkdir,
  type OpenFile,
  open,
  rename,
  unlink,
} from './fs.js';

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
export function openEntry(
  file: string,
  writable: boolean,
  calls: EntryCalls = ASYNC_CALLS,
): Promise<OpenFile | undefined> {
  const flags = (writable ? fs.O_RDWR : fs.O_RDONLY) | ENTRY_FLAGS;
  return unless(NOT_AN_ENTRY, undefined, () => calls.open(file, flags));
}

/**
 * The whole content of an open file of `size` bytes, or `undefined` if it is no longer that
 * long or too large for one buffer; `known`, bytes already read from its start, is not read
 * again.
 */
export async function readWhole(
  handle: OpenFile,
  size: number,
  known?: Uint8Array,
): Promise<Uint8Array | undefined> {
  if (size > constants.MAX_LENGTH) return undefined;
  const bytes = await readHead(handle, size, known);
  return bytes.length === size ? bytes : undefined;
}

// One read of this many bytes takes in the whole of most entry files, without a stat first.
const FIRST_READ = 16 * 1024;
// What reading an entry descriptor yields when it is no regular file: a directory, a FIFO
// (ESPIPE for a positioned read, EAGAIN with no data).
const NOT_READABLE = ['EISDIR', 'ESPIPE', 'EAGAIN', 'EINVAL'];

/*
 * First reads land in scratch buffers that are used again: allocating 16 KiB per read cost more
 * than the read itself at 64 in flight (an ArrayBuffer each, and the external-memory pressure
 * that makes V8 collect). A scratch buffer holds other entries' bytes, so nothing ever hands
 * out a view of it: `readFront`'s callers copy exactly what they return, inside `use`.
 */
const scratch: Uint8Array[] = [];
// Enough for every read at 64 in flight; more are allocated under a bigger burst, then dropped.
const SCRATCH_KEPT = 64;

/** The start of an open file and its size, as `readFront` reads them. */
export interface FileFront {
  /** The first bytes of the file: all of it when `size` is at most 16 KiB. */
  front: Uint8Array;
  size: number;
}

/**
 * Reads the first 16 KiB of the file behind `handle` and its size, and runs `use` on them;
 * `undefined` if it is no regular file. A file up to 16 KiB (most entries) takes one read and
 * no stat: a read of a regular file comes back short only at its end. `front` is a view of a
 * scratch buffer that is used again once `use` settles: copy what outlives it.
 */
export async function readFront<T>(
  handle: OpenFile,
  use: (read: FileFront) => T | Promise<T>,
): Promise<T | undefined> {
  const buffer = scratch.pop() ?? new Uint8Array(FIRST_READ);
  try {
    const bytesRead = await unless(NOT_READABLE, undefined, () =>
      handle.read(buffer, 0, FIRST_READ, 0),
    );
    if (bytesRead === undefined) return undefined;
    const front = buffer.subarray(0, bytesRead);
    if (bytesRead < FIRST_READ) return await use({ front, size: bytesRead });
    const info = await handle.stat();
    return info.isFile() ? await use({ front, size: info.size }) : undefined;
  } finally {
    if (scratch.length < SCRATCH_KEPT) scratch.push(buffer);
  }
}

/**
 * The entry in the file behind `handle` if it is a valid one for `key` (see decodeEntry), its
 * value in an `ArrayBuffer` of exactly its size; `undefined` if it is none.
 */
export function readEntry(handle: OpenFile, key: Uint8Array): Promise<DecodedEntry | undefined> {
  return readFront(handle, async ({ front, size }) => {
    if (size <= front.length) {
      const entry = decodeEntry(front, key);
      return entry && { expiresAt: entry.expiresAt, value: new Uint8Array(entry.value) };
    }
    if (declaredSize(front) !== size) return undefined;
    const bytes = await readWhole(handle, size, front);
    return bytes && decodeEntry(bytes, key);
  });
}

/**
 * The first `length` bytes of an open file (fewer if it is shorter), in a buffer of their own;
 * `known`, bytes already read from its start, is copied rather than read again.
 */
export async function readHead(
  handle: OpenFile,
  length: number,
  known?: Uint8Array,
): Promise<Uint8Array> {
  const head = new Uint8Array(length);
  let filled = 0;
  if (known !== undefined) {
    filled = Math.min(known.length, length);
    head.set(known.subarray(0, filled));
  }
  while (filled < length) {
    const bytesRead = await handle.read(head, filled, length - filled, filled);
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
): Promise<OpenFile> {
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
