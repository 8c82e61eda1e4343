import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { entryPath, freshDir, text } from './helpers.js';

describe('namespace directory names', () => {
  const root = new FileStore({ path: '/stores-root' });
  const dirName = (...names: string[]) => {
    let store = root;
    for (const name of names) store = store.withNamespace(name);
    return relative('/stores-root', store.directory);
  };

  it('keep simple lower-case names readable', () => {
    expect(dirName('sessions')).toBe('ns-sessions');
    expect(dirName('rate_limit', 'v-2')).toBe(join('ns-rate_limit', 'ns-v-2'));
  });

  it('escape upper case, so case-insensitive file systems keep A and a apart', () => {
    expect(dirName('A')).toBe('ns-~41');
    expect(dirName('a')).toBe('ns-a');
    expect(dirName('Sessions')).toBe('ns-~53essions');
  });

  it('escape separators, dots, NUL, the escape character and non-ASCII as UTF-8 bytes', () => {
    expect(dirName('..')).toBe('ns-~2e~2e');
    expect(dirName('a/b')).toBe('ns-a~2fb');
    expect(dirName('a\\b')).toBe('ns-a~5cb');
    expect(dirName('\0')).toBe('ns-~00');
    expect(dirName('~41')).toBe('ns-~7e41');
    expect(dirName('é')).toBe('ns-~c3~a9');
  });

  it('hash names whose escaped form would be long', () => {
    expect(dirName('x'.repeat(96))).toBe(`ns-${'x'.repeat(96)}`);
    expect(dirName('x'.repeat(97))).toMatch(/^nh-[0-9a-f]{64}$/);
    expect(dirName('X'.repeat(40))).toMatch(/^nh-[0-9a-f]{64}$/);
  });
});

const ENTRY_FILE = /^[0-9a-f]{64}$/;
const DIRECTORY = /^(?:[0-9a-f]{2}|ns-[0-9a-z_~-]{1,96}|nh-[0-9a-f]{64})$/;

const TRICKY = [
  '/',
  '\\',
  '..',
  '.',
  '../',
  '/etc/passwd',
  '\0',
  ':',
  '*',
  '?',
  'A',
  'a',
  '~',
  '🙂',
  'é',
  ' ',
  'C:\\',
  'CON',
  'ns-',
  '00',
];

/** A random string from tricky pieces and random code points; sometimes very long. */
function randomName(random: () => number): string {
  let name = '';
  const parts = 1 + Math.floor(random() * 6);
  for (let i = 0; i < parts; i++) {
    const roll = random();
    if (roll < 0.5) name += TRICKY[Math.floor(random() * TRICKY.length)];
    else if (roll < 0.9) name += String.fromCodePoint(0x20 + Math.floor(random() * 0x7e0));
    else name += 'long/../'.repeat(1 + Math.floor(random() * 200));
  }
  return name;
}

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('path safety', () => {
  it('10k random keys and namespaces create files only below the root, all distinct', async () => {
    const seed = Date.now();
    const random = seeded(seed);
    const container = freshDir('paths');
    const path = join(container, 'root');
    mkdirSync(path);
    const root = new FileStore({ path });
    const written = new Map<string, { store: FileStore; key: string; value: string }>();
    const work = Array.from({ length: 10_000 }, (_, i) => {
      let store = root;
      const depth = Math.floor(random() * 3);
      const names: string[] = [];
      for (let d = 0; d < depth; d++) {
        const name = randomName(random);
        names.push(name);
        store = store.withNamespace(name);
      }
      const key = randomName(random);
      return { id: JSON.stringify([names, key]), store, key, value: `v${i}` };
    });
    for (let i = 0; i < work.length; i += 100) {
      // One write per key in a batch: two concurrent sets of one key may land in either order.
      const batch = [...new Map(work.slice(i, i + 100).map((w) => [w.id, w])).values()];
      await Promise.all(batch.map((w) => w.store.set(w.key, w.value)));
      for (const w of batch) written.set(w.id, w);
    }
    expect(readdirSync(container), `seed ${seed}`).toEqual(['root']);
    let files = 0;
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      const full = join(entry.parentPath, entry.name);
      // Only the documented names, all lower-case ASCII without dots: nothing can climb out,
      // no two names differ by case alone, and every name is short enough for any file system.
      const pattern = entry.isFile() ? ENTRY_FILE : DIRECTORY;
      expect(entry.name, `seed ${seed}: ${full}`).toMatch(pattern);
      expect(entry.isFile() || entry.isDirectory(), `seed ${seed}: ${full}`).toBe(true);
      expect(full.startsWith(path + sep)).toBe(true);
      if (entry.isFile()) {
        // Files sit only in shard directories named by their first two hex digits.
        expect(entry.name.slice(0, 2)).toBe(basename(entry.parentPath));
        files++;
      }
    }
    expect(files, `seed ${seed}`).toBe(written.size);
    for (const w of written.values())
      expect(text(await w.store.get(w.key)), `seed ${seed}`).toBe(w.value);
    await root.deleteAll();
    expect(readdirSync(path)).toEqual([]);
  });

  it('names entry files by the SHA-256 of the key, sharded by its first two hex digits', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('../../escape', 'v');
    const file = entryPath(path, '../../escape');
    expect(statSync(file).isFile()).toBe(true);
    expect(relative(path, file)).toMatch(/^([0-9a-f]{2})\/\1[0-9a-f]{62}$/);
  });
});
