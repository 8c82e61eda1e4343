/**
 * The Redis key layout, a data format: changing it breaks stored data.
 *
 * - A root store with namespace `N` writes key `k` as `N:k` (UTF-8), exactly like Litestar;
 *   with `hashTag` it writes `{N}:k`; an unscoped store (`namespace: null`) writes `k`.
 * - A child namespace appends its name's UTF-8 bytes and one 0xFF byte to its parent's
 *   prefix: child `a` of `N` writes `k` as `N:a\xffk`, its child `b` as `N:a\xffb\xffk`.
 *
 * Why 0xFF: root keys are arbitrary strings, so every byte string after `N:` that is valid
 * UTF-8 is some root key; a child prefix made of valid UTF-8 (`N:a:` or any escape) would
 * collide with a root key (`a:b` vs child `a` key `b`). The byte 0xFF never occurs in UTF-8,
 * so no key or namespace name can contain it, and no escaping is needed.
 *
 * Proof of injectivity: keys and names are well-formed strings, so their UTF-8 bytes hold no
 * 0xFF. Take a Redis key written by a store whose root prefix is `R`; strip `R` and split the
 * rest at every 0xFF: all pieces but the last are the namespace names from the root down
 * (each non-empty), the last is the key. Splitting a byte string at a delimiter that the
 * pieces cannot contain is reversible, so (namespace path, key) -> Redis key is injective
 * (`parseEntryKey` is the inverse).
 * Prefix property (what `deleteAll` relies on): a namespace's prefix `R n1 FF … nk FF` starts
 * a Redis key of this tree only if that key's first k pieces are n1…nk, that is, only if the
 * key belongs to the namespace or one below it; a sibling `ab` never matches `a`'s prefix
 * `a FF`. So `deleteAll` uses MATCH `<escaped prefix>*` and needs no client-side filter.
 * Everything a root store and its children write lies under `N:`, the keyspace Litestar's
 * namespace `N` owns, so nothing outside it (Litestar's `N_child:` namespaces, `N2:`) is touched.
 */

/** Ends each nested namespace segment; the byte never occurs in UTF-8, so it needs no escape. */
export const SEGMENT_END = 0xff;

const SEGMENT_END_BYTES = Buffer.from([SEGMENT_END]);

/** The prefix of every key of a root store: `N:`, `{N}:` with `hashTag`, or empty if unscoped. */
export function rootPrefix(namespace: string | null, hashTag: boolean): Buffer {
  if (namespace === null) return Buffer.alloc(0);
  return Buffer.from(hashTag ? `{${namespace}}:` : `${namespace}:`, 'utf8');
}

/** The prefix of child namespace `name` below the namespace whose prefix is `parent`. */
export function childPrefix(parent: Buffer, name: string): Buffer {
  return Buffer.concat([parent, Buffer.from(name, 'utf8'), SEGMENT_END_BYTES]);
}

/** The Redis key of `key` in the namespace whose prefix is `prefix`. */
export function entryKey(prefix: Buffer, key: string): Buffer {
  return Buffer.concat([prefix, Buffer.from(key, 'utf8')]);
}

// The characters Redis's glob matcher treats specially; `]` only inside brackets, escaped anyway.
const GLOB_SPECIAL = new Set([0x2a, 0x3f, 0x5b, 0x5d, 0x5c]); // * ? [ ] \

/** A SCAN MATCH pattern for every key starting with `prefix`, glob characters taken literally. */
export function matchPattern(prefix: Buffer): Buffer {
  const out: number[] = [];
  for (const byte of prefix) {
    if (GLOB_SPECIAL.has(byte)) out.push(0x5c);
    out.push(byte);
  }
  out.push(0x2a);
  return Buffer.from(out);
}

/**
 * The inverse of the layout: the namespace path below the root and the key that a Redis key
 * encodes, or null if `redisKey` was not written under `root` by this layout.
 */
export function parseEntryKey(
  redisKey: Uint8Array,
  root: Uint8Array,
): { path: string[]; key: string } | null {
  const bytes = Buffer.from(redisKey);
  if (!bytes.subarray(0, root.length).equals(root)) return null;
  const pieces: Buffer[] = [];
  let start = root.length;
  for (let i = start; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== SEGMENT_END) continue;
    pieces.push(bytes.subarray(start, i));
    start = i + 1;
  }
  try {
    const [key, ...names] = pieces.reverse().map((piece) => strictUtf8.decode(piece));
    if (key === undefined || names.includes('')) return null; // names are non-empty
    return { path: names.reverse(), key };
  } catch {
    return null; // not UTF-8, so no string key maps to it
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
