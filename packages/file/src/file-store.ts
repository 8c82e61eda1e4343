import { constants } from 'node:buffer';
import { type Dirent, constants as fs } from 'node:fs';
import { lstat, open, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BaseStore, type StoreCapabilities, StoreError } from '@stores/core';
import {
  decodeEntry,
  decodeExpiry,
  EXPIRY_OFFSET,
  encodeEntry,
  encodeExpiry,
  HEADER_SIZE,
  hasMagic,
  MAGIC,
} from './format.js';
import { io, makeDirectory, removeIf, syncDirectory, unless, writeAtomic } from './io.js';
import {
  entryLocation,
  isEntryName,
  isNamespaceName,
  isShardName,
  isTempName,
  namespaceDirName,
  sha256Hex,
} from './layout.js';

/** Options of `FileStore`. */
export interface FileStoreOptions {
  /** The root directory of the store; relative paths resolve against the working directory. */
  path: string;
  /**
   * Create the root directory (and its parents) on first use. With `false`, a missing root is a
   * `STORE_IO` error on first use. Sub-directories are always created. Default: `true`.
   */
  createDirectories?: boolean;
  /**
   * Sync files and directories to the device before a write, delete or renew resolves, so
   * it survives power loss, not only a crash of the process. Default: `false`.
   */
  durable?: boolean;
  /** The clock, in ms since the epoch; inject a fake one in tests. Default: `Date.now`. */
  now?: () => number;
}

/** A temp file untouched for this long belongs to a crashed writer; `deleteExpired()` removes it. */
export const STALE_TEMP_MS: number = 60 * 60 * 1000;

// Files swept in parallel per directory: enough to keep libuv's thread pool busy.
const SWEEP_CONCURRENCY = 16;
// Directory errors that mean "not empty any more / already gone": leave the directory be.
const KEEP_DIRECTORY = ['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'];

// An entry path holding a symbolic link (ELOOP with O_NOFOLLOW) or a directory is not ours.
const NOT_AN_ENTRY = ['ENOENT', 'EISDIR', 'ELOOP'];
const NO_FOLLOW = fs.O_NOFOLLOW ?? 0; // not defined on Windows, which has no such links here

const encoder = new TextEncoder();

/** The state a root store and all its namespaces share. */
class FileState {
  readonly root: string;
  readonly durable: boolean;
  readonly now: () => number;
  readonly #createDirectories: boolean;
  #ready: Promise<void> | undefined;

  constructor(options: FileStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'FileStore options must be an object');
    }
    const { path, createDirectories = true, durable = false, now = Date.now } = options;
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'path must be a non-empty path string');
    }
    if (typeof createDirectories !== 'boolean' || typeof durable !== 'boolean') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'createDirectories and durable are booleans');
    }
    if (typeof now !== 'function') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'now must be a function returning ms');
    }
    this.root = resolve(path);
    this.durable = durable;
    // Whole ms: the file stores an integer, and expiresIn has 1 ms resolution.
    this.now = () => Math.floor(now());
    this.#createDirectories = createDirectories;
  }

  /** Resolves once the root directory exists; a failure is reported and retried next time. */
  ready(): Promise<void> {
    this.#ready ??= this.#prepare().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #prepare(): Promise<void> {
    const root = this.root;
    if (this.#createDirectories) {
      await io('create directory', root, () => makeDirectory(root, this.durable));
      return;
    }
    const info = await io('find directory', root, () => stat(root));
    if (!info.isDirectory()) {
      throw new StoreError('STORE_IO', `FileStore cannot use ${root}: not a directory`);
    }
  }
}

interface ReadEntry {
  value: Uint8Array;
  /** ms since the epoch, after any renew; `Infinity` if the entry never expires. */
  expiresAt: number;
  /** The clock reading the entry was judged live at. */
  now: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  persistent: true,
  shared: true,
  nativeExpiry: false,
  deleteExpired: true,
});

/**
 * A store on the local file system: one file per entry named by the SHA-256 of its key,
 * written atomically (temp file + rename), namespaces as sub-directories, shared safely by
 * every process that opens the same directory.
 */
export class FileStore extends BaseStore {
  /** Persistent, shared between processes, expired entries swept by `deleteExpired()`. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  #state: FileState;
  #dir: string;

  /** Creates a root store in `options.path`; nothing touches the disk until first use. */
  constructor(options: FileStoreOptions) {
    super();
    this.#state = new FileState(options);
    this.#dir = this.#state.root;
  }

  /** The absolute directory holding this namespace's entries and child namespaces. */
  get directory(): string {
    return this.#dir;
  }

  /**
   * Removes the expired entries of this namespace and all namespaces below it, and temp files
   * untouched for `STALE_TEMP_MS` (judged by `now`); resolves to the number of entries removed
   * (temp files are not counted). Foreign and unreadable files are left alone.
   */
  async deleteExpired(): Promise<number> {
    this.assertOpen();
    return this.#sweepHere('expired');
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    await this.#state.ready();
    const keyBytes = encoder.encode(key);
    const { shard, file } = entryLocation(this.#dir, sha256Hex(keyBytes));
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#state.now() + ttlMs;
    await writeAtomic(shard, file, encodeEntry(keyBytes, value, expiresAt), this.#state.durable);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    return (await this.#read(key, renewMs))?.value ?? null;
  }

  protected async doDelete(key: string): Promise<void> {
    await this.#state.ready();
    const { shard, file } = entryLocation(this.#dir, sha256Hex(encoder.encode(key)));
    const removed = await io('delete', file, () =>
      unless(['ENOENT'], false, async () => {
        await unlink(file);
        return true;
      }),
    );
    if (removed && this.#state.durable) await io('sync', shard, () => syncDirectory(shard));
  }

  protected async doDeleteAll(): Promise<void> {
    await this.#sweepHere('all');
  }

  protected async doExists(key: string): Promise<boolean> {
    return (await this.#read(key, undefined)) !== undefined;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    const entry = await this.#read(key, undefined);
    return entry === undefined ? null : entry.expiresAt - entry.now;
  }

  protected createNamespace(name: string): FileStore {
    const child = new FileStore({ path: this.#state.root });
    child.#state = this.#state;
    child.#dir = join(this.#dir, namespaceDirName(name));
    return child;
  }

  /**
   * Reads and checks the entry for `key`; a missing, foreign, corrupt or expired file is
   * `undefined`. With `renewMs`, an entry that expires gets its expiry field overwritten in
   * place, through the descriptor the value was read from: if a `set` or `delete` replaced or
   * removed the file meanwhile, the write lands on the old, unreachable inode and undoes nothing.
   */
  async #read(key: string, renewMs: number | undefined): Promise<ReadEntry | undefined> {
    await this.#state.ready();
    const keyBytes = encoder.encode(key);
    const { file } = entryLocation(this.#dir, sha256Hex(keyBytes));
    const handle = await io('open', file, () =>
      unless(NOT_AN_ENTRY, undefined, () =>
        open(file, (renewMs === undefined ? fs.O_RDONLY : fs.O_RDWR) | NO_FOLLOW),
      ),
    );
    if (handle === undefined) return undefined;
    try {
      return await io(renewMs === undefined ? 'read' : 'read and renew', file, async () => {
        const info = await handle.stat();
        if (!info.isFile() || info.size < HEADER_SIZE || info.size > constants.MAX_LENGTH) {
          return undefined;
        }
        const bytes = new Uint8Array(info.size);
        let filled = 0;
        while (filled < bytes.length) {
          const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
          if (bytesRead === 0) return undefined;
          filled += bytesRead;
        }
        const entry = decodeEntry(bytes, keyBytes);
        const now = this.#state.now();
        if (entry === undefined || now >= entry.expiresAt) return undefined;
        let { expiresAt } = entry;
        if (renewMs !== undefined && expiresAt !== Number.POSITIVE_INFINITY) {
          expiresAt = now + renewMs;
          await handle.write(encodeExpiry(expiresAt), 0, 8, EXPIRY_OFFSET);
          if (this.#state.durable) await handle.datasync();
        }
        return { value: entry.value, expiresAt, now };
      });
    } finally {
      await handle.close();
    }
  }

  /** Sweeps this namespace, then removes its directory if that left it empty (never the root). */
  async #sweepHere(mode: 'all' | 'expired'): Promise<number> {
    await this.#state.ready();
    const removed = await this.#sweep(this.#dir, mode, this.#state.now());
    if (this.#dir !== this.#state.root) await removeEmptyDirectory(this.#dir);
    return removed;
  }

  /**
   * Walks `dir`: its shard directories and child namespace directories, never anything else
   * and never a symbolic link. `'all'` removes every file that carries the magic; `'expired'`
   * removes expired entries. Both remove stale temp files and prune empty sub-directories.
   * Resolves to the number of entries removed.
   */
  async #sweep(dir: string, mode: 'all' | 'expired', now: number): Promise<number> {
    const children = await io('list', dir, () =>
      unless(['ENOENT'], [] as Dirent[], () => readdir(dir, { withFileTypes: true })),
    );
    let removed = 0;
    for (const child of children) {
      if (!child.isDirectory()) continue;
      const path = join(dir, child.name);
      if (isShardName(child.name)) removed += await this.#sweepShard(path, mode, now);
      else if (isNamespaceName(child.name)) removed += await this.#sweep(path, mode, now);
      else continue;
      await removeEmptyDirectory(path);
    }
    return removed;
  }

  async #sweepShard(shard: string, mode: 'all' | 'expired', now: number): Promise<number> {
    const files = await io('list', shard, () =>
      unless(['ENOENT'], [] as Dirent[], () => readdir(shard, { withFileTypes: true })),
    );
    let removed = 0;
    await forEachLimit(files, SWEEP_CONCURRENCY, async (entry) => {
      if (!entry.isFile()) return;
      const file = join(shard, entry.name);
      if (isTempName(entry.name)) {
        await io('remove stale temp file', file, () => removeStaleTemp(file, now));
      } else if (isEntryName(entry.name)) {
        const gone = await io('sweep', file, () =>
          mode === 'all' ? removeOurs(file) : removeExpired(file, now),
        );
        if (gone) removed++;
      }
    });
    if (removed > 0 && this.#state.durable) await io('sync', shard, () => syncDirectory(shard));
    return removed;
  }
}

/**
 * Removes `dir` if it is empty. A writer that loses this race recreates it (see writeAtomic);
 * a directory holding anything at all, foreign files included, stays.
 */
async function removeEmptyDirectory(dir: string): Promise<void> {
  await io('remove directory', dir, () => unless(KEEP_DIRECTORY, undefined, () => rmdir(dir)));
}

/** The first `length` bytes of `file` (fewer if it is shorter); empty if it is gone. */
async function readHead(file: string, length: number): Promise<Uint8Array> {
  const handle = await unless(NOT_AN_ENTRY, undefined, () => open(file, fs.O_RDONLY | NO_FOLLOW));
  if (handle === undefined) return new Uint8Array(0);
  try {
    const head = new Uint8Array(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Removes `file` if it carries the magic, i.e. this package wrote it. */
async function removeOurs(file: string): Promise<boolean> {
  if (!hasMagic(await readHead(file, MAGIC.length))) return false;
  return unless(['ENOENT'], false, async () => {
    await unlink(file);
    return true;
  });
}

/** Removes `file` if it is an expired entry, re-checking after moving it aside (see removeIf). */
async function removeExpired(file: string, now: number): Promise<boolean> {
  const isExpired = async (path: string) => {
    const expiresAt = decodeExpiry(await readHead(path, HEADER_SIZE));
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
