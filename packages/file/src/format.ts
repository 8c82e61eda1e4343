import { crc32 } from 'node:zlib';

/*
 * Entry file format, version 1 (all integers big-endian):
 *
 *   offset  size  field
 *        0     8  magic: 89 53 54 4F 52 45 53 0A ("\x89STORES\n")
 *        8     4  format version: 1
 *       12     4  key length K in bytes
 *       16     8  expiry: ms since the Unix epoch, unsigned; FF FF FF FF FF FF FF FF = never
 *       24     8  value length V in bytes
 *       32     4  CRC-32 (zlib) of the key bytes followed by the value bytes
 *       36     K  the key, UTF-8
 *     36+K     V  the value, raw bytes
 *
 * The file is exactly 36 + K + V bytes. The expiry sits outside the checksum at a fixed,
 * 8-byte-aligned offset so a renew can overwrite it in place.
 */

/** The first 8 bytes of every entry file. */
export const MAGIC: Uint8Array = Uint8Array.of(0x89, 0x53, 0x54, 0x4f, 0x52, 0x45, 0x53, 0x0a);
/** The format version this package writes and reads. */
export const FORMAT_VERSION = 1;
/** Bytes before the key. */
export const HEADER_SIZE = 36;
/** Offset of the 8-byte expiry field, rewritten in place by a renew. */
export const EXPIRY_OFFSET = 16;
/** The stored expiry of an entry that never expires. */
export const NEVER = 0xffff_ffff_ffff_ffffn;

/** What a well-formed entry file holds. */
export interface DecodedEntry {
  /** ms since the epoch; `Infinity` when the entry never expires. */
  expiresAt: number;
  /** The value bytes (a view into the buffer that was decoded). */
  value: Uint8Array;
}

/** The 8 bytes of the expiry field for `expiresAt` (ms since the epoch, or `Infinity`). */
export function encodeExpiry(expiresAt: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const stored = expiresAt === Number.POSITIVE_INFINITY ? NEVER : BigInt(Math.max(0, expiresAt));
  new DataView(bytes.buffer).setBigUint64(0, stored);
  return bytes;
}

/** A complete entry file for `key` (UTF-8 bytes) and `value`. */
export function encodeEntry(key: Uint8Array, value: Uint8Array, expiresAt: number): Uint8Array {
  const file = new Uint8Array(HEADER_SIZE + key.length + value.length);
  const view = new DataView(file.buffer);
  file.set(MAGIC, 0);
  view.setUint32(8, FORMAT_VERSION);
  view.setUint32(12, key.length);
  file.set(encodeExpiry(expiresAt), EXPIRY_OFFSET);
  view.setBigUint64(24, BigInt(value.length));
  view.setUint32(32, checksum(key, value));
  file.set(key, HEADER_SIZE);
  file.set(value, HEADER_SIZE + key.length);
  return file;
}

/** True if `bytes` starts with the magic: the file was written by this package (any version). */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The expiry of a version-1 header (the first `HEADER_SIZE` bytes), or `undefined` if they are
 * not one. Used by sweeps, which need no more than the header.
 */
export function decodeExpiry(header: Uint8Array): number | undefined {
  if (header.length < HEADER_SIZE || !hasMagic(header)) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(8) !== FORMAT_VERSION) return undefined;
  const stored = view.getBigUint64(EXPIRY_OFFSET);
  return stored === NEVER ? Number.POSITIVE_INFINITY : Number(stored);
}

/** The fields of a version-1 header whose lengths agree with the file's size. */
export interface EntryHeader {
  /** K, the key's length in bytes. */
  keyLength: number;
  /** ms since the epoch; `Infinity` when the entry never expires. */
  expiresAt: number;
}

/**
 * Decodes the header at the start of `head` (at least `HEADER_SIZE` bytes of a file of
 * `fileSize` bytes), or `undefined` unless the magic and version match and
 * `HEADER_SIZE + K + V` is exactly the file's size. Reads that need no value stop here.
 */
export function decodeHeader(head: Uint8Array, fileSize: number): EntryHeader | undefined {
  const expiresAt = decodeExpiry(head);
  if (expiresAt === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const keyLength = view.getUint32(12);
  // A length beyond 2^53 loses precision here, but cannot add up to a real file size anyway.
  const valueLength = Number(view.getBigUint64(24));
  if (HEADER_SIZE + keyLength + valueLength !== fileSize) return undefined;
  return { keyLength, expiresAt };
}

/**
 * The size `HEADER_SIZE + K + V` a version-1 header at the start of `head` declares, or
 * `undefined` if `head` does not start with one.
 */
export function declaredSize(head: Uint8Array): number | undefined {
  if (decodeExpiry(head) === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return HEADER_SIZE + view.getUint32(12) + Number(view.getBigUint64(24));
}

/** True if the header in `head` is followed by exactly the key bytes `key`. */
export function holdsKey(head: Uint8Array, header: EntryHeader, key: Uint8Array): boolean {
  if (header.keyLength !== key.length || head.length < HEADER_SIZE + key.length) return false;
  return key.every((b, i) => head[HEADER_SIZE + i] === b);
}

/**
 * Decodes a whole entry file and checks it belongs to `key`: the magic, version, lengths,
 * checksum and stored key must all match, else `undefined` (a foreign, corrupt or colliding
 * file reads as missing).
 */
export function decodeEntry(file: Uint8Array, key: Uint8Array): DecodedEntry | undefined {
  const header = decodeHeader(file, file.length);
  if (header === undefined || !holdsKey(file, header, key)) return undefined;
  const value = file.subarray(HEADER_SIZE + key.length);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(32) !== checksum(key, value)) return undefined;
  return { expiresAt: header.expiresAt, value };
}

/** CRC-32 of `key` then `value`. */
function checksum(key: Uint8Array, value: Uint8Array): number {
  // zlib.crc32 returns 0 for an empty array over a zero-length ArrayBuffer (Node 20/22),
  // whatever the running value: skip empty parts.
  let crc = 0;
  if (key.length > 0) crc = crc32(key, crc);
  if (value.length > 0) crc = crc32(value, crc);
  return crc;
}
