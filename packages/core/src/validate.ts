import { describe } from './duration.js';
import { StoreError } from './errors.js';

/** Throws `STORE_INVALID_KEY` unless `key` is a well-formed string (the empty string is valid). */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new StoreError('STORE_INVALID_KEY', `key must be a string, got ${describe(key)}`);
  }
  // A lone surrogate cannot be encoded as UTF-8 without becoming U+FFFD and colliding.
  if (!key.isWellFormed()) {
    throw new StoreError('STORE_INVALID_KEY', 'key must not contain a lone surrogate');
  }
}

/** Throws `STORE_INVALID_ARGUMENT` unless `name` is a non-empty, well-formed string. */
export function assertNamespace(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || !name.isWellFormed()) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `namespace must be a non-empty string without lone surrogates, got ${describe(name)}`,
    );
  }
}

/**
 * Returns a private copy of `value` as bytes (a string as its UTF-8 encoding), so later
 * mutation of the caller's array never reaches the store. Throws `STORE_INVALID_VALUE`.
 */
export function toBytes(value: unknown): Uint8Array {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) {
      throw new StoreError('STORE_INVALID_VALUE', 'a string value must not hold a lone surrogate');
    }
    return plainView(Buffer.from(value, 'utf8'));
  }
  if (value instanceof Uint8Array) return copyBytes(value);
  throw new StoreError(
    'STORE_INVALID_VALUE',
    `value must be a Uint8Array or a string, got ${describe(value)}`,
  );
}

/** Returns `options` as an object, or throws `STORE_INVALID_ARGUMENT` if it is not one. */
export function optionsObject<T extends object>(options: unknown, method: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${method} options must be an object, got ${describe(options)}`,
    );
  }
  return options as Partial<T>;
}

/**
 * A private copy of `bytes` as a plain `Uint8Array`. The copy is a view into Node's buffer
 * pool (about twice as fast as `new Uint8Array(bytes)` for small values); that pool cannot be
 * transferred to a worker, so no other view into it can be detached.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.byteLength);
  copy.set(bytes);
  return plainView(copy);
}

// A plain Uint8Array over a Buffer's bytes: `get` promises a Uint8Array, and deep equality
// (`toEqual`, `assert.deepStrictEqual`) tells a Buffer from a Uint8Array.
function plainView(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
