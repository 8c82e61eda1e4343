import { join, resolve } from 'node:path';
import {
  addToCounter,
  BaseStore,
  formatCounter,
  parseCounter,
  readOptions,
  type StoreCapabilities,
  StoreError,
} from '@stores/core';
import {
  checkDirectories,
  ensureDirectories,
  learnRealRoot,
  type RootDirectory,
} from './directories.js';
import {
  decodeHeader,
  EXPIRY_OFFSET,
  encodeEntry,
  encodeExpiry,
  HEADER_SIZE,
  holdsKey,
} from './format.js';
import { ASYNC_CALLS, lstat, type OpenFile, rename, SYNC_CALLS, stat, unlink } from './fs.js';
import {
  io,
  makeDirectory,
  openEntry,
  readEntry,
  readFront,
  readHead,
  syncDirectory,
  tempNameFor,
  unless,
  writeAtomic,
} from './io.js';
import { entryLocation, namespaceDirName, sha256Hex } from './layout.js';
import { type Step, Updates } from './update.js';
import { namespaceKeys, removeEmptyDirectory, type SweepMode, sweepNamespace } from './walk.js';

/** Options of `FileStore`. */
export interface FileStoreOptions {
  /** The root directory of the store; relative paths resolve against the working directory. */
  path: string;
  /**
   * Create the root directory (and its parents) when it is missing. With `false`, the store
   * never creates the root or its parents: a missing root is a `STORE_IO` error. Namespace and
   * shard directories below the root are always created. Default: `true`.
   */
  createDirectories?: boolean;
  /**
   * Sync files and directories to the device before a write, delete or renew resolves, so
   * it survives power loss, not only a crash of the process. Default: `false`.
   */
  durable?: boolean;
  /** The clock, in ms since the epoch; inject a fake one in tests. Default: `Date.now`. */
  now?: () => number;
  /**
   * Run the system calls of `get`, `exists`, `expiresIn` and `touch` on the calling thread
   * instead of libuv's thread pool: several times faster on a local disk, but each call blocks
   * the event loop for as long as the disk takes (never use it on a network file system).
   * With `durable`, renews and `touch` stay asynchronous. Default: `false`.
   */
  syncReads?: boolean;
}

const OPTIONS = ['path', 'createDirectories', 'durable', 'now', 'syncReads'] as const;
const CLOSE_BEFORE_ANSWER = process.platform === 'win32';
// libuv's pool has 4 threads; an entry operation keeps at most two of them busy at once.
const SPARE_POOL_CALLS = 2;
const encoder = new TextEncoder();

/** The state a root store and all its namespaces share. */
class FileState implements RootDirectory {
  readonly root: string;
  readonly createRoot: boolean;
  readonly durable: boolean;
  readonly syncReads: boolean;
  readonly now: () => number;
  readonly updates: Updates = new Updates();
  realRoot: string | undefined;
  #ready: Promise<void> | undefined;
  /** Descriptors of finished reads still closing; a root store's `close()` waits for them. */
  readonly closing = new Set<Promise<void>>();
  /** Entry operations (`#withEntry`) under way, in this store and its namespaces. */
  entryCalls = 0;

  constructor(options: FileStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'FileStore options must be an object');
    }
    const {
      path,
      createDirectories = true,
      durable = false,
      now = Date.now,
      syncReads = false,
    } = readOptions<FileStoreOptions>(options, 'new FileStore()', OPTIONS);
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'path must be a non-empty path string');
    }
    if (
      typeof createDirectories !== 'boolean' ||
      typeof durable !== 'boolean' ||
      typeof syncReads !== 'boolean'
    ) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        'createDirectories, durable and syncReads are booleans',
      );
    }
    if (typeof now !== 'function') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'now must be a function returning ms');
    }
    this.root = resolve(path);
    this.createRoot = createDirectories;
    this.durable = durable;
    this.syncReads = syncReads;
    // Whole ms: the file stores an integer, and expiresIn has 1 ms resolution.
    this.now = () => Math.floor(now());
  }

  /** Resolves once the root directory was found (or created); a failure is retried next time. */
  ready(): Promise<void> {
    this.#ready ??= this.#prepare().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /**
   * Closes a descriptor that was only read from. With the thread pool to spare (at most
   * `SPARE_POOL_CALLS` entry operations under way, this one included), the read is answered
   * without waiting: one round trip fewer per `get`, `exists` and `expiresIn`, and nothing was
   * written, so the close has nothing left to report. Busier, the caller waits: at 64 in
   * flight, answering first queued each close behind the next reads and cost 20-30% of the
   * throughput. On Windows, where a file still open cannot be replaced or removed, the caller
   * always waits.
   */
  release(handle: OpenFile): Promise<void> {
    const closed: Promise<void> = handle
      .close()
      .catch(() => {})
      .then(() => {
        this.closing.delete(closed);
      });
    this.closing.add(closed);
    return CLOSE_BEFORE_ANSWER || this.entryCalls > SPARE_POOL_CALLS ? closed : Promise.resolve();
  }

  async #prepare(): Promise<void> {
    const root = this.root;
    if (this.createRoot) {
      await io('create directory', root, () => makeDirectory(root, this.durable));
    } else {
      const info = await io('find directory', root, () => stat(root));
      if (!info.isDirectory()) {
        throw new StoreError('STORE_IO', `FileStore cannot use ${root}: not a directory`);
      }
    }
    await learnRealRoot(this);
  }
}

/** Where one key's entry lives. */
interface Location {
  /** The key's UTF-8 bytes. */
  keyBytes: Uint8Array;
  file: string;
  /** The directories below the root it sits in, outermost first (namespaces, then shard). */
  dirs: readonly string[];
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
 * every process that opens the same directory; `increment` and `setIfAbsent` are exact across
 * processes, under a lock file per entry.
 */
export class FileStore extends BaseStore {
  /** Persistent, shared between processes, expired entries swept by `deleteExpired()`. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  #state: FileState;
  #dir: string;
  /** The namespace directories from below the root down to `#dir`; empty for the root store. */
  #chain: readonly string[] = [];

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
   * untouched for `STALE_TEMP_MS` (judged by `now`); takes over locks left by crashed
   * processes. Resolves to the number of entries removed (temp files are not counted).
   * Foreign and unreadable files are left alone.
   */
  async deleteExpired(): Promise<number> {
    this.assertOpen();
    return this.#sweepHere('expired');
  }

  /** Waits for the descriptors of finished reads to close. */
  protected override async releaseResources(): Promise<void> {
    await Promise.all(this.#state.closing);
  }

  /** `doSet` encodes and `doSetIfAbsent` copies the value before their first `await`. */
  protected override readonly borrowsValues: boolean = true;

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    const { keyBytes, file, dirs } = this.#locate(key);
    // Encoded at once: `value` is the caller's memory (borrowsValues), not to be read later.
    const bytes = encodeEntry(keyBytes, value, this.#expiresAt(this.#state.now(), ttlMs));
    await this.#state.ready();
    const ensure = () => ensureDirectories(this.#state, dirs);
    await ensure();
    await writeAtomic(file, bytes, this.#state.durable, ensure);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    return (
      (await this.#withEntry(key, renewMs !== undefined, 'read', async (handle, keyBytes) => {
        const entry = await readEntry(handle, keyBytes);
        const now = this.#state.now();
        if (entry === undefined || now >= entry.expiresAt) return undefined;
        if (renewMs !== undefined && entry.expiresAt !== Number.POSITIVE_INFINITY) {
          await this.#writeExpiry(handle, now + renewMs);
        }
        return entry.value;
      })) ?? null
    );
  }

  /**
   * Moves the entry aside (so what is judged is exactly what is removed), judges it by its
   * header, then removes it. A link or other non-directory at the entry path is removed as it
   * is (never followed); a directory there is foreign and stays.
   */
  protected async doDelete(key: string): Promise<boolean> {
    await this.#state.ready();
    const { keyBytes, file, dirs } = this.#locate(key);
    // Both only look at metadata, so they run at once; nothing is touched before the check.
    const [present, info] = await Promise.all([
      checkDirectories(this.#state, dirs),
      io('inspect', file, () => unless(['ENOENT'], undefined, () => lstat(file))),
    ]);
    if (!present || info === undefined || info.isDirectory()) return false;
    let live = false;
    if (info.isFile()) {
      const aside = tempNameFor(file);
      const moved = await io('delete', file, () =>
        unless(['ENOENT'], false, () => rename(file, aside).then(() => true)),
      );
      if (!moved) return false;
      live = (await this.#liveExpiry(aside, keyBytes)) !== undefined;
      await io('delete', aside, () => unless(['ENOENT'], undefined, () => unlink(aside)));
    } else {
      await io('delete', file, () => unless(['ENOENT'], undefined, () => unlink(file)));
    }
    const shard = dirs[dirs.length - 1] ?? this.#dir;
    if (this.#state.durable) await io('sync', shard, () => syncDirectory(shard));
    return live;
  }

  protected async doDeleteAll(): Promise<void> {
    await this.#sweepHere('all');
  }

  protected async doExists(key: string): Promise<boolean> {
    return (await this.#withLive(key, false, async () => true)) ?? false;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    return (await this.#withLive(key, false, async (_, expiresAt, now) => expiresAt - now)) ?? null;
  }

  protected async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs: number | undefined,
  ): Promise<boolean> {
    const own = value.slice(); // the caller's memory (borrowsValues): the lock may wait
    return this.#update(key, (current, now) =>
      current === undefined
        ? { next: { value: own, expiresAt: this.#expiresAt(now, ttlMs) }, result: true }
        : { next: current, result: false },
    );
  }

  protected async doIncrement(key: string, by: number, ttlMs: number | undefined): Promise<number> {
    return this.#update(key, (current, now) => {
      const result = addToCounter(current === undefined ? 0 : parseCounter(current.value), by);
      const expiresAt = current?.expiresAt ?? this.#expiresAt(now, ttlMs);
      return { next: { value: formatCounter(result), expiresAt }, result };
    });
  }

  /**
   * Rewrites only the 8 expiry bytes, in place, through the descriptor the header was read from
   * (as a renew does): a `set` or `delete` that replaced or removed the file meanwhile wins.
   */
  protected async doTouch(key: string, ttlMs: number): Promise<boolean> {
    const touched = await this.#withLive(key, true, async (handle, _, now) => {
      await this.#writeExpiry(handle, now + ttlMs);
      return true;
    });
    return touched ?? false;
  }

  protected async *doKeys(prefix: string | undefined): AsyncGenerator<string, void, undefined> {
    await this.#state.ready();
    if (!(await checkDirectories(this.#state, this.#chain))) return;
    const wanted = prefix === undefined || prefix === '' ? undefined : encoder.encode(prefix);
    yield* namespaceKeys(this.#dir, wanted, this.#state.now);
  }

  protected createNamespace(name: string): FileStore {
    const child = new FileStore({ path: this.#state.root });
    child.#state = this.#state;
    child.#dir = join(this.#dir, namespaceDirName(name));
    child.#chain = [...this.#chain, child.#dir];
    return child;
  }

  /** Where `key`'s entry lives (the root may not have been looked at yet: see ready()). */
  #locate(key: string): Location {
    const keyBytes = encoder.encode(key);
    const { shard, file } = entryLocation(this.#dir, sha256Hex(keyBytes));
    return { keyBytes, file, dirs: [...this.#chain, shard] };
  }

  #expiresAt(now: number, ttlMs: number | undefined): number {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs;
  }

  /** Overwrites the expiry field of the open entry file (synced with `durable`). */
  async #writeExpiry(handle: OpenFile, expiresAt: number): Promise<void> {
    await handle.write(encodeExpiry(expiresAt), 0, 8, EXPIRY_OFFSET);
    if (this.#state.durable) await handle.datasync();
  }

  /**
   * Opens the entry file of `key` (never through a link) and runs `use` on it; resolves
   * `undefined` if no file is there. `use` gets the descriptor, so a renew or touch writes to
   * the inode it read: if a `set` or `delete` replaced or removed the file meanwhile, the write
   * lands on the old, unreachable inode and undoes nothing.
   */
  async #withEntry<T>(
    key: string,
    writable: boolean,
    action: string,
    use: (handle: OpenFile, keyBytes: Uint8Array) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    await this.#state.ready();
    this.#state.entryCalls++;
    try {
      const { keyBytes, file, dirs } = this.#locate(key);
      const { syncReads, durable } = this.#state;
      // A write to the device (durable) can take ms: that much stays off the event loop.
      const calls = syncReads && !(writable && durable) ? SYNC_CALLS : ASYNC_CALLS;
      // The look at the directories and the open go to the thread pool together, one round
      // trip instead of two: opening creates and changes nothing, and what it opened is closed
      // unused unless the look finds every directory there and none a link.
      const opening = io('open', file, () => openEntry(file, writable, calls));
      opening.catch(() => {}); // judged after the look; no unhandled rejection meanwhile
      let present: boolean;
      try {
        present = await checkDirectories(this.#state, dirs, calls);
      } catch (error) {
        await closeUnused(opening);
        throw error;
      }
      if (!present) {
        await closeUnused(opening);
        return undefined;
      }
      const handle = await opening;
      if (handle === undefined) return undefined;
      try {
        return await io(action, file, () => use(handle, keyBytes));
      } finally {
        // A network file system may report a failed write only at close: a writer waits.
        await (writable ? handle.close() : this.#state.release(handle));
      }
    } finally {
      this.#state.entryCalls--;
    }
  }

  /**
   * Runs `use` if `key` holds an unexpired entry, judged by the header and stored key alone:
   * the value and its checksum are not read (only `get` reads them).
   */
  #withLive<T>(
    key: string,
    writable: boolean,
    use: (handle: OpenFile, expiresAt: number, now: number) => Promise<T>,
  ): Promise<T | undefined> {
    return this.#withEntry(key, writable, writable ? 'touch' : 'read', async (handle, keyBytes) => {
      const expiresAt = await headerExpiry(handle, keyBytes);
      const now = this.#state.now();
      return expiresAt === undefined || now >= expiresAt ? undefined : use(handle, expiresAt, now);
    });
  }

  /** The expiry of the unexpired entry for `keyBytes` in `file` (by its header), if it is one. */
  async #liveExpiry(file: string, keyBytes: Uint8Array): Promise<number | undefined> {
    const handle = await io('open', file, () => openEntry(file, false));
    if (handle === undefined) return undefined;
    try {
      const expiresAt = await io('read', file, () => headerExpiry(handle, keyBytes));
      return expiresAt !== undefined && this.#state.now() < expiresAt ? expiresAt : undefined;
    } finally {
      await handle.close();
    }
  }

  async #update<T>(key: string, step: Step<T>): Promise<T> {
    await this.#state.ready();
    const { keyBytes, file, dirs } = this.#locate(key);
    const { durable, now } = this.#state;
    const ensure = () => ensureDirectories(this.#state, dirs);
    return this.#state.updates.run({ file, key: keyBytes, durable, now, ensure }, step);
  }

  /** Sweeps this namespace, then removes its directory if that left it empty (never the root). */
  async #sweepHere(mode: SweepMode): Promise<number> {
    await this.#state.ready();
    if (!(await checkDirectories(this.#state, this.#chain))) return 0;
    const { durable, now } = this.#state;
    const removed = await sweepNamespace(this.#dir, mode, now(), durable);
    if (this.#dir !== this.#state.root) await removeEmptyDirectory(this.#dir);
    return removed;
  }
}

/**
 * The expiry in the header of the open entry file, if the header is valid for a file of its
 * size and the stored key is `keyBytes`; the value is not read.
 */
async function headerExpiry(handle: OpenFile, keyBytes: Uint8Array): Promise<number | undefined> {
  return readFront(handle, async ({ front, size }) => {
    const length = HEADER_SIZE + keyBytes.length;
    // A key longer than the first read (over 16 KiB): the rest of it is read.
    const head =
      front.length >= length || size === front.length
        ? front
        : await readHead(handle, length, front);
    const header = decodeHeader(head, size);
    return header !== undefined && holdsKey(head, header, keyBytes) ? header.expiresAt : undefined;
  });
}

/** Closes what `opening` opened, if it opened anything; its failure no longer matters. */
async function closeUnused(opening: Promise<OpenFile | undefined>): Promise<void> {
  const handle = await opening.catch(() => undefined);
  await handle?.close().catch(() => {});
}
