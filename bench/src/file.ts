import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  access,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ExpirySweepingStore, Store } from '@stores/core';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import { importBackend, versions } from './env.js';
import { runInFlight, timeOnce, verify } from './harness.js';
import {
  type KvOps,
  type KvPlan,
  type KvSubject,
  lengthOf,
  makeValue,
  runKvSuite,
  slug,
} from './kv.js';
import { storeOps } from './memory.js';
import { failureNote, type Recorder } from './results.js';

/** The FileStore options this bench uses (see the FileStore README for the full set). */
export interface FileStoreOptions {
  path: string;
  now?: () => number;
  syncReads?: boolean;
}
/** `new FileStore(options)`, as far as the bench needs to know it. */
export type FileStoreClass = new (options: FileStoreOptions) => ExpirySweepingStore;

/** Loads `FileStore`, or says why it cannot be measured. */
export async function loadFileStore(): Promise<FileStoreClass | string> {
  const mod = await importBackend('@stores/file');
  if (typeof mod === 'string') return mod;
  const { FileStore } = mod;
  return typeof FileStore === 'function'
    ? (FileStore as FileStoreClass)
    : '@stores/file does not export FileStore';
}

/** How large the `deleteExpired()` run is. */
export interface FilePlan extends KvPlan {
  /** Entries written before `deleteExpired()`; half of them expired. */
  sweepEntries: number;
}

/**
 * FileStore against raw `writeFile` + `rename` / `readFile` and unstorage's fs driver, all in
 * one fresh temporary directory (removed afterwards); then `deleteExpired()` over
 * `sweepEntries` entries of which half have expired.
 */
export async function runFileSuite(recorder: Recorder, plan: FilePlan): Promise<void> {
  const FileStore = await loadFileStore();
  if (typeof FileStore === 'string') return recorder.skipSuite('file', FileStore);
  const root = await mkdtemp(join(tmpdir(), 'stores-bench-'));
  const storeRoot = join(root, 'filestore');
  const store = new FileStore({ path: storeRoot });
  // Its own namespaces beside FileStore's, with get/exists/expiresIn/touch made on the calling
  // thread (opt-in).
  const syncStore = new FileStore({ path: storeRoot, syncReads: true });
  // The peers' files live inside the directory of FileStore's namespace of the same group (a
  // group's scopes end alike: `-<size>-<in flight>`), where FileStore ignores them. A new file's
  // inode comes from the block group of its directory, and on a file system without a journal
  // (this machine's) ext4 skips each recently freed inode there, one buffer lookup each: in
  // directories of their own, the same calls ran up to 3x apart depending on which directory
  // was made first (see the README). Side by side, every subject pays the same.
  const besideFileStore = (scope: string, name: string): string =>
    join(storeRoot, `ns-${slug('FileStore')}${/-\d+-\d+$/.exec(scope)?.[0] ?? ''}`, name);
  const subjects: KvSubject[] = [
    {
      name: 'FileStore',
      ours: true,
      versions: versions('@stores/file', '@stores/core'),
      open: async (scope) => storeOps(store.withNamespace(scope), false),
    },
    {
      name: 'FileStore (syncReads)',
      ours: true,
      versions: versions('@stores/file', '@stores/core'),
      open: async (scope) => storeOps(syncStore.withNamespace(scope), false),
    },
    {
      name: 'fs writeFile+rename',
      ours: false,
      versions: { node: process.version },
      open: async (scope) => {
        const dir = besideFileStore(scope, 'raw');
        await mkdir(dir, { recursive: true });
        return rawFileOps((key) => join(dir, key));
      },
    },
    {
      // The same calls in FileStore's layout (256 shard directories, SHA-256 names): what the
      // kernel charges for the layout itself, apart from FileStore's own work. These are
      // FileStore's own shard directories, the files named `<hash>.raw`.
      name: RAW_IN_LAYOUT,
      ours: false,
      versions: { node: process.version },
      open: async (scope) => {
        const dir = besideFileStore(scope, '');
        const shards = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
        await Promise.all(shards.map((shard) => mkdir(join(dir, shard), { recursive: true })));
        return rawFileOps(inLayout(dir, '.raw'));
      },
    },
    {
      // The same again with FileStore's link check first: one realpath of the entry's
      // directory before each call (see the FileStore README, "Symbolic links"), the floor for
      // any store that keeps the contract's no-link rule on top of the raw calls.
      name: RAW_WITH_LINK_CHECK,
      ours: false,
      versions: { node: process.version },
      open: async (scope) => {
        const dir = besideFileStore(scope, '');
        return rawFileOps(inLayout(dir, '.checked'), true);
      },
    },
    {
      name: 'unstorage (fs)',
      ours: false,
      versions: versions('unstorage'),
      open: async (scope) => {
        const storage = createStorage<string>({
          driver: fsDriver({ base: besideFileStore(scope, 'unstorage') }),
        });
        return {
          set: (key, value) => storage.setItem(key, value.text),
          get: async (key) => lengthOf(await storage.getItem(key)),
          renew: undefined,
          delete: (key) => storage.removeItem(key),
          exists: (key) => storage.hasItem(key),
        };
      },
    },
  ];
  try {
    // Flushed before every timed stretch: the kernel writes dirty pages back seconds later,
    // and without a flush whichever subject comes next would pay for the one before it.
    // No group warm-up through the first subject: 13k files written and deleted in its
    // directory right before its rows made FileStore's 10 KB sets ×64 0.3–0.6× as fast as the
    // same set code in second place (FileStore with syncReads), in three runs.
    await runKvSuite(recorder, 'file', subjects, {
      ...plan,
      settle: flushDisk,
      warmUpFirst: false,
      setsFirst: true,
    });
    await deleteExpired(recorder, FileStore, join(root, 'sweep'), plan.sweepEntries);
  } finally {
    await store.close();
    await syncStore.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** The subject that makes the raw calls in FileStore's layout. */
export const RAW_IN_LAYOUT = 'fs writeFile+rename (FileStore layout)';
/** The subject that makes them with FileStore's link check (a realpath) before each call. */
export const RAW_WITH_LINK_CHECK = 'fs writeFile+rename (FileStore layout, link check)';

/** Where FileStore's layout in `dir` puts a key's file: `<shard>/<sha-256><ext>`. */
function inLayout(dir: string, ext: string): (key: string) => string {
  return (key) => {
    const hash = createHash('sha256').update(key).digest('hex');
    return join(dir, hash.slice(0, 2), `${hash}${ext}`);
  };
}

/**
 * What a careful application does by hand: atomic write by rename, plain read; `pathOf` says
 * where a key's file is (its directory exists). With `checkLinks`, each call first resolves the
 * file's directory with `realpath`, as FileStore does to refuse a link below its root; without
 * it, the calls are exactly the raw ones (no extra await).
 */
function rawFileOps(pathOf: (key: string) => string, checkLinks = false): KvOps {
  let temp = 0;
  const checked = async (key: string): Promise<string> => {
    const file = pathOf(key);
    await realpath(dirname(file));
    return file;
  };
  return {
    set: async (key, value) => {
      const file = checkLinks ? await checked(key) : pathOf(key);
      // As long as FileStore's temp names: 16 hex digits.
      const tempFile = `${file}.${(temp++).toString(16).padStart(16, '0')}.tmp`;
      await writeFile(tempFile, value.bytes);
      await rename(tempFile, file);
    },
    get: async (key) => {
      try {
        return lengthOf(await readFile(checkLinks ? await checked(key) : pathOf(key)));
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return null;
        throw error;
      }
    },
    renew: undefined,
    delete: async (key) => {
      await rm(checkLinks ? await checked(key) : pathOf(key), { force: true });
    },
    exists: async (key) => {
      try {
        await access(checkLinks ? await checked(key) : pathOf(key));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Writes `entries` entries (half living 1 s, half an hour) through a FileStore whose clock is
 * then moved 2 s on, and times `deleteExpired()`; it must report exactly the expired half,
 * which must be unreadable while the other half reads back intact.
 */
async function deleteExpired(
  recorder: Recorder,
  FileStore: FileStoreClass,
  path: string,
  entries: number,
): Promise<void> {
  const row = {
    suite: 'file',
    subject: 'FileStore',
    ours: true,
    versions: versions('@stores/file', '@stores/core'),
    workload: `deleteExpired (${entries.toLocaleString('en-US')}, half expired)`,
    valueBytes: 100,
    inFlight: 1,
  };
  let clock = Date.now();
  const store = new FileStore({ path, now: () => clock });
  try {
    const sweep = store.withNamespace(`sweep-${randomUUID()}`) as ExpirySweepingStore;
    await writeSweepEntries(sweep, entries);
    const metrics = await timeSweep(sweep, entries, () => {
      clock += 2000;
    });
    recorder.add({ ...row, status: 'ok', metrics });
  } catch (error) {
    recorder.add({ ...row, status: 'failed', note: failureNote(error) });
  } finally {
    await store.close();
  }
}

/** Seconds entry `i` of a sweep lives: even ones 1 s (expired once the clock moves 2 s on), odd ones an hour. */
export function sweepExpiresIn(i: number): number {
  return i % 2 === 0 ? 1 : 3600;
}

/**
 * Writes the 100 B entries `k0 … k{entries - 1}` with `sweepExpiresIn(i)`, 64 in flight;
 * `progress`, if given, hears how many are written at every tenth of the way.
 */
export async function writeSweepEntries(
  store: Store,
  entries: number,
  progress?: (written: number) => void,
): Promise<void> {
  const value = makeValue(100).bytes;
  const tenth = Math.max(1, Math.ceil(entries / 10));
  let written = 0;
  await runInFlight(
    0,
    entries,
    64,
    async (i) => {
      await store.set(`k${i}`, value, { expiresIn: sweepExpiresIn(i) });
      written++;
      if (progress !== undefined && (written % tenth === 0 || written === entries)) {
        progress(written);
      }
    },
    undefined,
  );
}

/**
 * After `writeSweepEntries(store, entries)`: calls `advanceClock` (which must move the store's
 * clock at least 1 s on), times `deleteExpired()` and checks it removed exactly the even half,
 * then reads back a spread of 200 keys: the even ones must be gone, the odd ones intact.
 */
export async function timeSweep(
  store: ExpirySweepingStore,
  entries: number,
  advanceClock: () => void,
): Promise<{ durationMs: number; removed: number }> {
  advanceClock();
  let removed = -1;
  const durationMs = await timeOnce(async () => {
    removed = await store.deleteExpired();
  });
  const expected = Math.ceil(entries / 2);
  verify(removed === expected, () => `deleteExpired removed ${removed}, expected ${expected}`);
  const step = Math.max(1, Math.floor(entries / 200)) * 2;
  await runInFlight(
    0,
    Math.floor(entries / step),
    8,
    async (j) => {
      const expired = await store.get(`k${j * step}`);
      const live = await store.get(`k${j * step + 1}`);
      verify(expired === null, () => `k${j * step} expired but still readable`);
      verify(live?.byteLength === 100, () => `k${j * step + 1} lost: ${live?.byteLength}`);
    },
    undefined,
  );
  return { durationMs, removed };
}

const run = promisify(execFile);

/** Writes every dirty page of the machine back (`sync`), so the next timing starts clean. */
async function flushDisk(): Promise<void> {
  await run('sync');
}
