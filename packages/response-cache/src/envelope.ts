/**
 * The binary format of the entries the cache stores (documented byte by byte in the README).
 * Every integer is unsigned big-endian; header names and values are Latin-1, one byte a
 * character, which is what HTTP/1.1 sends (Node and `Headers` refuse any character above U+00FF).
 */

/** One response header line: lower-case name, value. */
export type HeaderLine = readonly [name: string, value: string];

/** A stored response: what a hit replays. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: readonly HeaderLine[];
  readonly body: Uint8Array;
}

/**
 * The Content-Length a replay must add: the body's, when none was stored (a streamed body) and
 * the status allows one, so a HEAD replay announces what the GET replay sends.
 */
export function replayedLength(response: StoredResponse): number | undefined {
  if (response.status === 204 || response.status === 304) return undefined;
  if (response.headers.some(([name]) => name === 'content-length')) return undefined;
  return response.body.byteLength;
}

/** A decoded entry: a response, or the index of a response that varies by request headers. */
export type Entry =
  | { readonly kind: 'response'; readonly response: StoredResponse }
  | { readonly kind: 'vary'; readonly names: readonly string[] };

// "SRC" (stores response cache), then the format version.
const MAGIC = [0x53, 0x52, 0x43] as const;
const VERSION = 1;
const KIND_RESPONSE = 0;
const KIND_VARY = 1;
const PREAMBLE = MAGIC.length + 2;
const U16 = 0xffff;
const U32 = 0xffffffff;

// What Node's http and WHATWG `Headers` accept, checked on decode so that a damaged entry is a
// miss rather than a `setHeader` that throws while replaying it.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The bytes of a response entry, or undefined if it exceeds the format's limits. */
export function encodeResponse(response: StoredResponse): Uint8Array | undefined {
  const { status, headers, body } = response;
  if (headers.length > U16 || body.byteLength > U32) return undefined;
  let size = PREAMBLE + 2 + 2 + 4 + body.byteLength; // status, line count, body length
  for (const [name, value] of headers) {
    if (name.length > U16 || value.length > U32) return undefined;
    size += 2 + name.length + 4 + value.length;
  }
  const out = Buffer.alloc(size);
  let at = writePreamble(out, KIND_RESPONSE);
  at = out.writeUInt16BE(status, at);
  at = out.writeUInt16BE(headers.length, at);
  for (const [name, value] of headers) {
    at = out.writeUInt16BE(name.length, at);
    at += out.write(name, at, 'latin1');
    at = out.writeUInt32BE(value.length, at);
    at += out.write(value, at, 'latin1');
  }
  at = out.writeUInt32BE(body.byteLength, at);
  out.set(body, at);
  return out;
}

/** The bytes of a vary index: the lower-case header names the response varies by. */
export function encodeVary(names: readonly string[]): Uint8Array {
  const out = Buffer.alloc(PREAMBLE + 2 + names.reduce((sum, name) => sum + 2 + name.length, 0));
  let at = writePreamble(out, KIND_VARY);
  at = out.writeUInt16BE(names.length, at);
  for (const name of names) {
    at = out.writeUInt16BE(name.length, at);
    at += out.write(name, at, 'latin1');
  }
  return out;
}

function writePreamble(out: Buffer, kind: number): number {
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  out[MAGIC.length + 1] = kind;
  return PREAMBLE;
}

/**
 * The entry `bytes` hold, or undefined if they are not a well-formed entry of this version (a
 * foreign, damaged or truncated value, or trailing bytes): the cache treats that as a miss.
 */
export function decodeEntry(bytes: Uint8Array): Entry | undefined {
  const reader = new Reader(bytes);
  if (!MAGIC.every((byte) => reader.u8() === byte) || reader.u8() !== VERSION) return undefined;
  const kind = reader.u8();
  if (kind === KIND_RESPONSE) {
    const status = reader.u16();
    if (status < 200 || status > 599) return undefined;
    const headers: HeaderLine[] = [];
    for (let count = reader.u16(); count > 0; count--) {
      const name = reader.latin1(reader.u16());
      const value = reader.latin1(reader.u32());
      if (!TOKEN.test(name) || !VALUE.test(value)) return undefined;
      headers.push([name, value]);
    }
    const body = reader.bytes(reader.u32());
    return reader.done() ? { kind: 'response', response: { status, headers, body } } : undefined;
  }
  if (kind === KIND_VARY) {
    const names: string[] = [];
    for (let count = reader.u16(); count > 0; count--) {
      const name = reader.latin1(reader.u16());
      if (!TOKEN.test(name)) return undefined;
      names.push(name);
    }
    return reader.done() ? { kind: 'vary', names } : undefined;
  }
  return undefined;
}

// Reads past the end yield NaN / '' and mark the reader failed, so decodeEntry checks once.
class Reader {
  readonly #bytes: Buffer;
  #at = 0;
  #failed = false;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #take(length: number): number {
    const start = this.#at;
    if (this.#failed || length > this.#bytes.length - start) {
      this.#failed = true;
      return -1;
    }
    this.#at += length;
    return start;
  }

  u8(): number {
    const at = this.#take(1);
    return at < 0 ? Number.NaN : this.#bytes.readUInt8(at);
  }

  u16(): number {
    const at = this.#take(2);
    return at < 0 ? Number.NaN : this.#bytes.readUInt16BE(at);
  }

  u32(): number {
    const at = this.#take(4);
    return at < 0 ? Number.NaN : this.#bytes.readUInt32BE(at);
  }

  latin1(length: number): string {
    const at = this.#take(length);
    return at < 0 ? '' : this.#bytes.toString('latin1', at, at + length);
  }

  bytes(length: number): Uint8Array {
    const at = this.#take(length);
    const { buffer, byteOffset } = this.#bytes;
    return at < 0 ? new Uint8Array(0) : new Uint8Array(buffer, byteOffset + at, length);
  }

  /** True if every read was in bounds and every byte was read. */
  done(): boolean {
    return !this.#failed && this.#at === this.#bytes.length;
  }
}
