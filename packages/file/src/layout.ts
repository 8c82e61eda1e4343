import { hash } from 'node:crypto';
import { sep } from 'node:path';

/*
 * Where things live under a namespace directory:
 *
 *   <dir>/<aa>/<aa…64 hex>                   an entry: sha256 of the key's UTF-8 bytes, sharded
 *                                             by its first two hex digits (256 sub-directories)
 *   <dir>/<aa>/<aa…64 hex>.<16 hex>.tmp      a write in flight (or left by a crash), a lock's
 *                                             ticket, a delete's moved-aside entry, or the
 *                                             marker of a stale lock taken over (see lock.ts)
 *   <dir>/<aa>/<aa…64 hex>.lock              the lock of an increment or setIfAbsent
 *   <dir>/ns-<escaped name>/                 a child namespace, readable for simple names
 *   <dir>/nh-<64 hex>/                       a child namespace whose escaped name is too long
 *
 * Every name is lower-case ASCII, so case-insensitive file systems keep them all distinct, and
 * the three kinds of directory names (two hex digits, `ns-…`, `nh-…`) can never collide.
 */

const SHARD = /^[0-9a-f]{2}$/;
const ENTRY = /^[0-9a-f]{64}$/;
const TEMP = /^[0-9a-f]{64}\.[0-9a-f]{16}\.tmp$/;
const LOCK = /^[0-9a-f]{64}\.lock$/;
const NAMESPACE = /^(?:ns-[0-9a-z_~-]+|nh-[0-9a-f]{64})$/;

// Characters kept as they are in a namespace directory name; every other UTF-8 byte (upper
// case included, and `~` itself) becomes `~xx`, so the escaping is injective and lower case.
const PLAIN = /^[0-9a-z_-]$/;
// Longer escaped names are hashed: directory names stay far below the usual 255-byte limit.
const MAX_ESCAPED_LENGTH = 96;

const encoder = new TextEncoder();

/** The SHA-256 of `bytes` as 64 lower-case hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/** The directory name of child namespace `name`: injective, lower-case, never a shard name. */
export function namespaceDirName(name: string): string {
  let escaped = '';
  for (const char of name) {
    if (PLAIN.test(char)) {
      escaped += char;
    } else {
      for (const byte of encoder.encode(char)) escaped += `~${byte.toString(16).padStart(2, '0')}`;
    }
  }
  return escaped.length <= MAX_ESCAPED_LENGTH
    ? `ns-${escaped}`
    : `nh-${sha256Hex(encoder.encode(name))}`;
}

/** Where the entry with the given key hash lives, and its shard directory. */
export function entryLocation(dir: string, hash: string): { shard: string; file: string } {
  // `dir` is absolute and normalised (resolve, join) and the names are plain: no join needed.
  const shard = `${dir.endsWith(sep) ? dir : dir + sep}${hash.slice(0, 2)}`;
  return { shard, file: `${shard}${sep}${hash}` };
}

/** True for the name of a shard directory. */
export function isShardName(name: string): boolean {
  return SHARD.test(name);
}

/** True for the name of an entry file. */
export function isEntryName(name: string): boolean {
  return ENTRY.test(name);
}

/** True for the name of a temporary file this package writes. */
export function isTempName(name: string): boolean {
  return TEMP.test(name);
}

/** True for the name of an entry's lock file. */
export function isLockName(name: string): boolean {
  return LOCK.test(name);
}

/** True for the name of a child namespace directory. */
export function isNamespaceName(name: string): boolean {
  return NAMESPACE.test(name);
}
