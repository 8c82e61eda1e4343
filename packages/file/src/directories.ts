import { dirname } from 'node:path';
import { StoreError } from '@stores/core';
import { ASYNC_CALLS, type EntryCalls, lstat, mkdir, realpath } from './fs.js';
import { errorCode, io, ioError, makeDirectory, syncDirectory, unless } from './io.js';

/*
 * No operation follows a symbolic link below the root. Node cannot open a directory and work
 * relative to it (no openat), so every operation first looks at the directories of the layout
 * it goes through (namespace directories, then the shard), and refuses a link. The look is one
 * realpath of the deepest: the directories below the root are links-free exactly when its real
 * path is the root's real path plus the very same names (a link anywhere below the root would
 * put its target's path there). Only when that does not hold (something missing, a link, the
 * root moved) is each directory looked at with lstat, to tell which. What remains is a race: a
 * directory replaced by a link between the look and the use, which takes someone who can
 * already rename directories below the root (see the README).
 */

/** Where a store lives: its root, and whether it may create the root when it is missing. */
export interface RootDirectory {
  readonly root: string;
  readonly createRoot: boolean;
  readonly durable: boolean;
  /**
   * The root's real path (links above the root resolved), once known; `undefined` before, and
   * where real paths cannot be compared this way (Windows), which means lstat each time.
   */
  realRoot: string | undefined;
}

// Windows paths differ from realpath's in case and drive letters: each directory is looked at.
const COMPARE_REAL_PATHS = process.platform !== 'win32';

/**
 * Learns `where.realRoot`, for checkDirectories' one-call look. It is only a shortcut: if the
 * root's real path cannot be had, every look lstats each directory instead.
 */
export async function learnRealRoot(where: RootDirectory): Promise<void> {
  if (!COMPARE_REAL_PATHS) return;
  where.realRoot = await realpath(where.root).catch(() => undefined);
}

/** The error for a symbolic link in place of a directory of the layout: never followed. */
function linkError(path: string): StoreError {
  return new StoreError(
    'STORE_IO',
    `FileStore will not use ${path}: it is a symbolic link, and FileStore never follows a link ` +
      'below its root (replace it with a directory, or point the store at the real one)',
  );
}

/**
 * Looks at `dirs` (the layout's directories below the root, each inside the one before it):
 * resolves `false` if one is missing, `true` if all are there, and rejects with `STORE_IO` if
 * one is a symbolic link. A regular file in the way is left for the operation to fail on
 * (`ENOTDIR`).
 */
export async function checkDirectories(
  where: RootDirectory,
  dirs: readonly string[],
  calls: EntryCalls = ASYNC_CALLS,
): Promise<boolean> {
  const deepest = dirs[dirs.length - 1];
  if (deepest === undefined) return true;
  const { root, realRoot } = where;
  if (realRoot !== undefined) {
    const real = await io('inspect', deepest, () =>
      unless(['ENOENT', 'ENOTDIR', 'ELOOP'], undefined, () => calls.realpath(deepest)),
    );
    if (real !== undefined && real === realRoot + deepest.slice(root.length)) return true;
  }
  const present = await inspectEach(dirs, calls);
  // All there and none a link, yet another real path: the root itself moved (or was never
  // learnt): learn it again so the next look is one call again.
  if (present) await learnRealRoot(where);
  return present;
}

/** checkDirectories by lstat of each directory, all at once. */
async function inspectEach(dirs: readonly string[], calls: EntryCalls): Promise<boolean> {
  const infos = await Promise.all(
    dirs.map((dir) =>
      io('inspect', dir, () => unless(['ENOENT'], undefined, () => calls.lstat(dir))),
    ),
  );
  let present = true;
  for (const [i, info] of infos.entries()) {
    if (info === undefined) present = false;
    else if (info.isSymbolicLink()) throw linkError(dirs[i] ?? '');
  }
  return present;
}

/** True if `dir` is a directory and not a link (for walks, which skip anything else). */
export async function isRealDirectory(dir: string): Promise<boolean> {
  const info = await io('inspect', dir, () => unless(['ENOENT'], undefined, () => lstat(dir)));
  return info?.isDirectory() === true;
}

// A sweep may prune a directory we just created or found: start again, a few times.
const ENSURE_ATTEMPTS = 4;

/**
 * Makes sure `dirs` (below `where.root`, outermost first) exist as real directories, creating
 * the missing ones one by one, never through a link. The root itself is created (with its
 * parents) only if `where.createRoot`; otherwise a missing root is `STORE_IO`.
 */
export async function ensureDirectories(
  where: RootDirectory,
  dirs: readonly string[],
): Promise<void> {
  if (await checkDirectories(where, dirs)) return;
  for (let attempt = 1; ; attempt++) {
    let current = where.root;
    try {
      for (const dir of dirs) {
        current = dir;
        await makeOne(where, dir);
      }
      return;
    } catch (error) {
      if (StoreError.is(error)) throw error;
      // A parent below the root vanished (pruned by a sweep) between two mkdirs: start again.
      if (errorCode(error) === 'ENOENT' && attempt < ENSURE_ATTEMPTS) continue;
      throw ioError('create directory', current, error);
    }
  }
}

async function makeOne(where: RootDirectory, dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') {
      // Made by someone else meanwhile, or a link or file is in the way.
      if ((await lstat(dir)).isSymbolicLink()) throw linkError(dir);
      return;
    }
    if (code !== 'ENOENT' || dirname(dir) !== where.root) throw error;
    if (!where.createRoot) {
      throw new StoreError(
        'STORE_IO',
        `FileStore cannot create ${dir}: its root ${where.root} is missing, and ` +
          'createDirectories is false (create the root, or allow FileStore to)',
        { cause: error },
      );
    }
    await io('create directory', where.root, () => makeDirectory(where.root, where.durable));
    await mkdir(dir).catch((again: unknown) => {
      if (errorCode(again) !== 'EEXIST') throw again;
    });
  }
  if (where.durable) await syncDirectory(dirname(dir));
}
