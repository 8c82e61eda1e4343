import * as fs from 'node:fs';

/*
 * The file system calls FileStore makes, as promises over Node's callback API, with the names
 * and shapes of `node:fs/promises`. On Node 20 a `fs/promises` call costs about twice the CPU of
 * the same call through a callback (lstat at 64 in flight: 11 vs 5.5 µs), and a `FileHandle`
 * more again: opening, reading and closing a 100-byte file at 64 in flight ran at 22k/s through
 * `FileHandle` and 55k/s through descriptors, for the same four system calls. An entry's read is
 * little more than its system calls, so this is most of what it costs.
 */

type Done<T> = (error: NodeJS.ErrnoException | null, result: T) => void;

/** A promise of what the callback API reports through `done`. */
function call<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, result) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
}

/**
 * An open file descriptor with the methods of `FileHandle` this package uses. Unlike a
 * `FileHandle` it is not closed when garbage-collected: every `open` is paired with a `close`
 * in a `finally`.
 */
export class OpenFile {
  readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; resolves how many. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return call<number>((done) => fs.read(this.fd, buffer, offset, length, position, done));
  }

  /** Writes `length` bytes of `buffer` from `offset` at `position` (once; may write fewer). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return call<number>((done) => fs.write(this.fd, buffer, offset, length, position, done));
  }

  /** Writes all of `bytes` from the start of the file, however many writes that takes. */
  async writeFile(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      written += await this.write(bytes, written, bytes.length - written, written);
    }
  }

  /** The file's metadata. */
  stat(): Promise<fs.Stats>;
  stat(options: { bigint: true }): Promise<fs.BigIntStats>;
  stat(options?: { bigint: true }): Promise<fs.Stats | fs.BigIntStats> {
    return call((done) => fs.fstat(this.fd, { bigint: options?.bigint === true }, done));
  }

  /** Flushes the file's data and metadata to the device. */
  sync(): Promise<void> {
    return call<void>((done) => fs.fsync(this.fd, done));
  }

  /** Flushes the file's data (and the metadata needed to read it) to the device. */
  datasync(): Promise<void> {
    return call<void>((done) => fs.fdatasync(this.fd, done));
  }

  /** Closes the descriptor. */
  close(): Promise<void> {
    return call<void>((done) => fs.close(this.fd, done));
  }
}

/** The outcome of a synchronous call as a settled promise, as the asynchronous ones give it. */
function settled<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * An open descriptor whose calls run synchronously, on the calling thread, for `syncReads`:
 * the same methods, the same settled promises, no thread-pool round trip. Only `read`, `stat`,
 * `write` and `close` are used through it (never a sync to the device, which can take ms).
 */
export class SyncOpenFile extends OpenFile {
  override read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    return settled(() => fs.readSync(this.fd, buffer, offset, length, position));
  }

  override write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    return settled(() => fs.writeSync(this.fd, buffer, offset, length, position));
  }

  override stat(): Promise<fs.Stats>;
  override stat(options: { bigint: true }): Promise<fs.BigIntStats>;
  override stat(options?: { bigint: true }): Promise<fs.Stats | fs.BigIntStats> {
    return settled(() => fs.fstatSync(this.fd, { bigint: options?.bigint === true }));
  }

  override close(): Promise<void> {
    return settled(() => fs.closeSync(this.fd));
  }
}

/** The calls that find and open an entry (the link check, then the open), made either way. */
export interface EntryCalls {
  realpath(path: string): Promise<string>;
  lstat(path: string): Promise<fs.Stats>;
  /** Opens an entry file read-only (or read-write) with `flags`. */
  open(path: string, flags: number): Promise<OpenFile>;
}

/** EntryCalls through the thread pool: the default. */
export const ASYNC_CALLS: EntryCalls = { realpath, lstat, open };

/** EntryCalls on the calling thread, for `syncReads`. */
export const SYNC_CALLS: EntryCalls = {
  realpath: (path) => settled(() => fs.realpathSync.native(path)),
  lstat: (path) => settled(() => fs.lstatSync(path)),
  open: (path, flags) => settled(() => new SyncOpenFile(fs.openSync(path, flags))),
};

/** Opens `path` with `flags` (a number or `'wx'`-style string) and `mode` for new files. */
export function open(path: string, flags: number | string, mode?: number): Promise<OpenFile> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, mode, (error, fd) => (error ? reject(error) : resolve(new OpenFile(fd))));
  });
}

/** The metadata of `path` itself, a link not followed. */
export function lstat(path: string): Promise<fs.Stats>;
export function lstat(path: string, options: { bigint: true }): Promise<fs.BigIntStats>;
export function lstat(
  path: string,
  options?: { bigint: true },
): Promise<fs.Stats | fs.BigIntStats> {
  return call((done) => fs.lstat(path, { bigint: options?.bigint === true }, done));
}

/** The metadata of what `path` names, links followed. */
export function stat(path: string): Promise<fs.Stats> {
  return call((done) => fs.stat(path, done));
}

/** The absolute path of `path` with every link resolved, in one call (the C library's). */
export function realpath(path: string): Promise<string> {
  return call<string>((done) => fs.realpath.native(path, done));
}

/** Renames `from` to `to`, replacing `to` atomically. */
export function rename(from: string, to: string): Promise<void> {
  return call<void>((done) => fs.rename(from, to, done));
}

/** Removes the file (or link) `path`. */
export function unlink(path: string): Promise<void> {
  return call<void>((done) => fs.unlink(path, done));
}

/** Makes `to` a new hard link to `from`; fails with `EEXIST` if `to` exists. */
export function link(from: string, to: string): Promise<void> {
  return call<void>((done) => fs.link(from, to, done));
}

/** Creates the directory `path`; recursively resolves the first directory created, if any. */
export function mkdir(path: string, options?: { recursive: true }): Promise<string | undefined> {
  return call<string | undefined>((done) =>
    fs.mkdir(path, { recursive: options?.recursive === true }, done),
  );
}

/** Removes the empty directory `path`. */
export function rmdir(path: string): Promise<void> {
  return call<void>((done) => fs.rmdir(path, done));
}

/** The entries of directory `path` with their types (a link is a link). */
export function readdir(path: string): Promise<fs.Dirent[]> {
  return call<fs.Dirent[]>((done) => fs.readdir(path, { withFileTypes: true }, done));
}
