import { describe, expect, it } from 'vitest';
import {
  childPrefix,
  entryKey,
  matchPattern,
  parseEntryKey,
  rootPrefix,
} from '../src/key-layout.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

// Characters that break naive layouts: separators, escapes, glob and hash-tag characters, the
// code points whose UTF-8 is closest to 0xFF, astral characters.
const ALPHABET = ['a', 'b', ':', '_', '/', '\\', '*', '{', '}', '\u00ff', '\uffff', '\u{1f600}'];

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomString(next: () => number, minLength: number): string {
  const length = minLength + Math.floor(next() * 4);
  return Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
}

interface Entry {
  path: string[];
  key: string;
}

function randomEntries(count: number): Entry[] {
  const next = random(42);
  return Array.from({ length: count }, () => ({
    path: Array.from({ length: Math.floor(next() * 3) }, () => randomString(next, 1)),
    key: randomString(next, 0),
  }));
}

const encode = (root: Buffer, { path, key }: Entry): Buffer =>
  entryKey(
    path.reduce((prefix, name) => childPrefix(prefix, name), root),
    key,
  );

describe('key layout', () => {
  it('writes root keys exactly as Litestar does, N:k', () => {
    expect(encode(rootPrefix('STORES', false), { path: [], key: 'a:b' })).toEqual(
      utf8('STORES:a:b'),
    );
    expect(encode(rootPrefix('N', true), { path: [], key: 'k' })).toEqual(utf8('{N}:k'));
    expect(encode(rootPrefix(null, false), { path: [], key: 'k' })).toEqual(utf8('k'));
  });

  it('keeps root key a:b and child a key b apart', () => {
    const root = rootPrefix('N', false);
    expect(encode(root, { path: ['a'], key: 'b' })).toEqual(
      Buffer.concat([utf8('N:a'), Buffer.from([0xff]), utf8('b')]),
    );
    expect(encode(root, { path: [], key: 'a:b' })).not.toEqual(
      encode(root, { path: ['a'], key: 'b' }),
    );
  });

  it('is injective: distinct (path, key) pairs give distinct keys, which decode back', () => {
    for (const root of [rootPrefix('N', false), rootPrefix(null, false), rootPrefix('N', true)]) {
      const entries = randomEntries(5000);
      const distinct = new Set(entries.map((entry) => JSON.stringify(entry)));
      const encoded = entries.map((entry) => encode(root, entry));
      expect(new Set(encoded.map((key) => key.toString('hex'))).size).toBe(distinct.size);
      expect(encoded.map((key) => parseEntryKey(key, root))).toEqual(entries);
    }
  });

  it('starts a key with a namespace prefix only if the key is in that namespace or below', () => {
    const root = rootPrefix('N', false);
    const entries = randomEntries(300);
    const wrong: string[] = [];
    for (const { path } of entries) {
      const prefix = path.reduce((p, name) => childPrefix(p, name), root);
      for (const entry of entries) {
        const below = path.every((name, i) => entry.path[i] === name);
        const starts = encode(root, entry).subarray(0, prefix.length).equals(prefix);
        if (starts !== below) wrong.push(`${JSON.stringify(path)} vs ${JSON.stringify(entry)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('rejects keys it did not write when decoding', () => {
    const root = rootPrefix('N', false);
    expect(parseEntryKey(utf8('M:k'), root)).toBeNull();
    expect(parseEntryKey(Buffer.from([0x4e, 0x3a, 0xff, 0x6b]), root)).toBeNull(); // empty name
    expect(parseEntryKey(Buffer.from([0x4e, 0x3a, 0xc0, 0x80]), root)).toBeNull(); // not UTF-8
  });
});

describe('matchPattern()', () => {
  it('escapes every glob character and appends *', () => {
    expect(matchPattern(utf8('a*?[x]\\:')).toString()).toBe('a\\*\\?\\[x\\]\\\\:*');
  });

  it('passes the 0xFF segment end through unchanged', () => {
    const prefix = childPrefix(rootPrefix('N', false), 'a');
    expect(matchPattern(prefix)).toEqual(Buffer.concat([prefix, utf8('*')]));
  });
});
