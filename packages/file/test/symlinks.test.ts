import { readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileStoreOptions } from '../src/index.js';
import { allKeys, descriptorsInto, entryPath, freshDir } from './helpers.js';

/** Every file below `dir` with its bytes, and every directory: what "byte-identical" compares. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    files[path] = entry.isFile()
      ? readFileSync(path).toString('base64')
      : entry.isDirectory()
        ? 'dir'
        : 'other';
  }
  return files;
}

/**
 * Another store's directory with real entries under key 'k' (a counter with an expiry, so a
 * renew, touch or increment through a link would change it) and an expired entry (so a sweep
 * through a link would remove it), at the root and in namespace 'n'.
 */
async function victim(): Promise<{ path: string; before: Record<string, string> }> {
  const path = freshDir('victim');
  const past = new FileStore({ path, now: () => Date.now() - 7_200_000 });
  const store = new FileStore({ path });
  for (const [s, old] of [
    [store, past],
    [store.withNamespace('n'), past.withNamespace('n')],
  ] as const) {
    await s.set('k', '41', { expiresIn: 3600 });
    await s.set('other', 'victim');
    await old.set('expired', 'gone by now', { expiresIn: 1 });
  }
  return { path, before: snapshot(path) };
}

type Outcome = unknown;

/** Every operation on key 'k' (and the namespace-wide ones), each outcome or its error code. */
const OPERATIONS: [string, (store: FileStore) => Promise<Outcome>][] = [
  ['set', (s) => s.set('k', 'mine')],
  ['get', (s) => s.get('k')],
  ['get with renewFor', (s) => s.get('k', { renewFor: 60 })],
  ['delete', (s) => s.delete('k')],
  ['exists', (s) => s.exists('k')],
  ['expiresIn', (s) => s.expiresIn('k')],
  ['setIfAbsent', (s) => s.setIfAbsent('k', 'mine')],
  ['increment', (s) => s.increment('k')],
  ['touch', (s) => s.touch('k', { expiresIn: 60 })],
  ['keys', (s) => allKeys(s.keys())],
  ['deleteAll', (s) => s.deleteAll()],
  ['deleteExpired', (s) => s.deleteExpired()],
];

async function outcome(run: () => Promise<Outcome>): Promise<Outcome> {
  try {
    const result = await run();
    return result instanceof Uint8Array ? Buffer.from(result).toString() : result;
  } catch (error) {
    if (!StoreError.is(error)) throw error;
    return error.code;
  }
}

/**
 * The store under test in a fresh root with its own entry under 'k' (then replaced by the link
 * the case makes), and the link pointing into the victim.
 */
interface Case {
  name: string;
  /** Replaces a part of `root`'s layout with a link into `victimPath`; returns the store to use. */
  link(root: string, victimPath: string, options?: Partial<FileStoreOptions>): Promise<FileStore>;
  /** What the operations resolve to (or their error code) once the link is there. */
  expected: Record<string, Outcome>;
}

const refused = 'STORE_IO';
const CASES: Case[] = [
  {
    name: 'an entry file',
    async link(root, victimPath, options) {
      const store = new FileStore({ path: root, ...options });
      await store.set('k', 'mine');
      rmSync(entryPath(root, 'k'));
      symlinkSync(entryPath(victimPath, 'k'), entryPath(root, 'k'));
      return store;
    },
    // A link at an entry path is a foreign file: read as missing, replaced or removed itself.
    expected: {
      set: undefined,
      get: null,
      'get with renewFor': null,
      delete: false,
      exists: false,
      expiresIn: null,
      setIfAbsent: true,
      increment: 1,
      touch: false,
      keys: [],
      deleteAll: undefined,
      deleteExpired: 0,
    },
  },
  {
    name: 'a shard directory',
    async link(root, victimPath, options) {
      const store = new FileStore({ path: root, ...options });
      await store.set('k', 'mine');
      const shard = dirname(entryPath(root, 'k'));
      rmSync(shard, { recursive: true });
      symlinkSync(dirname(entryPath(victimPath, 'k')), shard);
      return store;
    },
    // Operations on the key refuse the link; walks skip it as foreign.
    expected: {
      set: refused,
      get: refused,
      'get with renewFor': refused,
      delete: refused,
      exists: refused,
      expiresIn: refused,
      setIfAbsent: refused,
      increment: refused,
      touch: refused,
      keys: [],
      deleteAll: undefined,
      deleteExpired: 0,
    },
  },
  {
    name: 'a namespace directory',
    async link(root, victimPath, options) {
      const store = new FileStore({ path: root, ...options }).withNamespace('n');
      await store.set('k', 'mine');
      rmSync(store.directory, { recursive: true });
      symlinkSync(join(victimPath, 'ns-n'), store.directory);
      return store;
    },
    expected: Object.fromEntries(OPERATIONS.map(([name]) => [name, refused])),
  },
];

describe('symbolic links below the root are never followed', () => {
  for (const syncReads of [false, true]) {
    for (const testCase of CASES) {
      describe(`a link in place of ${testCase.name}${syncReads ? ', syncReads' : ''}`, () => {
        for (const [name, run] of OPERATIONS) {
          it(`${name} leaves the victim directory byte-identical`, async () => {
            const { path: victimPath, before } = await victim();
            const store = await testCase.link(freshDir(), victimPath, { syncReads });
            expect(await outcome(() => run(store))).toEqual(testCase.expected[name]);
            expect(snapshot(victimPath)).toEqual(before);
            // Reads open the entry while the directories are looked at: what a link let them
            // open is closed by the time they reject.
            if (process.platform === 'linux') expect(descriptorsInto(victimPath)).toEqual([]);
          });
        }
      });
    }
  }

  it('the parent of a linked namespace still sweeps, skipping the link', async () => {
    const { path: victimPath, before } = await victim();
    const root = new FileStore({ path: freshDir() });
    await root.set('mine', 'v');
    symlinkSync(join(victimPath, 'ns-n'), join(root.directory, 'ns-n'));
    await root.deleteAll();
    expect(await root.exists('mine')).toBe(false);
    expect(readdirSync(root.directory)).toEqual(['ns-n']);
    expect(await root.deleteExpired()).toBe(0);
    expect(snapshot(victimPath)).toEqual(before);
  });

  it('the root itself may be a link (only what is below it is checked)', async () => {
    const real = freshDir();
    const link = join(freshDir(), 'root');
    symlinkSync(real, link);
    const store = new FileStore({ path: link }).withNamespace('n');
    await store.set('k', 'v');
    expect(await store.increment('c')).toBe(1);
    expect(await allKeys(store.keys())).toHaveLength(2);
    expect(readdirSync(real)).toEqual(['ns-n']);
  });

  it('follows a link above the root to wherever it points now', async () => {
    const [first, second] = [freshDir(), freshDir()];
    const link = join(freshDir(), 'root');
    symlinkSync(first, link);
    const store = new FileStore({ path: link }).withNamespace('n');
    await store.set('k', 'first');
    await new FileStore({ path: second }).withNamespace('n').set('k', 'second');
    rmSync(link);
    symlinkSync(second, link);
    expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('second');
    await store.set('k2', 'v');
    expect(readdirSync(join(second, 'ns-n')).length).toBe(2);
    expect(readdirSync(join(first, 'ns-n')).length).toBe(1);
  });

  it('refuses a link below the root that points back inside it', async () => {
    const root = freshDir();
    const store = new FileStore({ path: root });
    const [a, b] = [store.withNamespace('a'), store.withNamespace('b')];
    await a.set('k', 'a');
    await b.set('k', 'b');
    rmSync(a.directory, { recursive: true });
    symlinkSync(b.directory, a.directory);
    for (const read of [() => a.get('k'), () => a.exists('k'), () => a.set('k', 'x')]) {
      await expect(read()).rejects.toSatisfy((e) => StoreError.is(e, 'STORE_IO'));
    }
    expect(Buffer.from((await b.get('k')) ?? []).toString()).toBe('b');
  });

  it('names the link and what to do in the error', async () => {
    const { path: victimPath } = await victim();
    const store = await CASES[1]?.link(freshDir(), victimPath);
    const error = await store?.get('k').catch((e: unknown) => e);
    expect(StoreError.is(error, 'STORE_IO')).toBe(true);
    expect((error as Error).message).toMatch(/symbolic link.*never follows/);
  });
});
