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

// The real typed-array kind of a view, from the intrinsic getter: it cannot be spoofed by an
// own `Symbol.toStringTag`, and it works for arrays of any realm (a `vm` context, a worker).
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsic = <T>(name: PropertyKey) =>
  Object.getOwnPropertyDescriptor(typedArrayPrototype, name)?.get as (this: unknown) => T;
const typedArrayTag = intrinsic<string | undefined>(Symbol.toStringTag);
// The real extent of a view, for the same reason: an own `byteLength` cannot mislead them.
const bufferOf = intrinsic<ArrayBufferLike>('buffer');
const byteOffsetOf = intrinsic<number>('byteOffset');
const byteLengthOf = intrinsic<number>('byteLength');

/** The real length of a view (0 once detached), whatever an own `byteLength` claims. */
export function realByteLength(bytes: Uint8Array): number {
  return byteLengthOf.call(bytes);
}

/** True for a `Uint8Array` (a `Buffer` included) of any realm. */
export function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && typedArrayTag.call(value) === 'Uint8Array';
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
    return ENCODER.encode(value);
  }
  if (isUint8Array(value)) return copyBytes(value);
  throw new StoreError(
    'STORE_INVALID_VALUE',
    `value must be a Uint8Array or a string, got ${describe(value)}`,
  );
}

const ENCODER = new TextEncoder();

/**
 * `value` as bytes without copying a `Uint8Array`: a new view of the caller's own memory over
 * its real extent (whatever an overridden `byteLength` claims); a string is encoded. For a
 * backend that sets `borrowsValues`; throws `STORE_INVALID_VALUE` as `toBytes` does.
 */
export function viewBytes(value: unknown): Uint8Array {
  if (!isUint8Array(value)) return toBytes(value);
  try {
    return new Uint8Array(bufferOf.call(value), byteOffsetOf.call(value), byteLengthOf.call(value));
  } catch (error) {
    throw new StoreError('STORE_INVALID_VALUE', 'value is a detached Uint8Array', {
      cause: error,
    });
  }
}

/**
 * A private copy of `bytes` in an `ArrayBuffer` of its own, so no stored or returned value
 * shares memory with anything else (Node's pooled buffers would expose other entries through
 * `.buffer`). The copy reads the view's real length, whatever an overridden `byteLength`
 * claims; a detached array is `STORE_INVALID_VALUE`.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (error) {
    throw new StoreError('STORE_INVALID_VALUE', 'value is a detached Uint8Array', {
      cause: error,
    });
  }
}

/** Option names other libraries use, mapped to ours, for the hint in an unknown-option error. */
const ALIASES: Record<string, string> = {
  ttl: 'expiresIn',
  expires: 'expiresIn',
  expire: 'expiresIn',
  expiry: 'expiresIn',
  ex: 'expiresIn',
  px: 'expiresIn',
  maxAge: 'expiresIn',
  expiresInSec: 'expiresIn',
  renew: 'renewFor',
  renewIn: 'renewFor',
  step: 'by',
  amount: 'by',
  increment: 'by',
};

// Shared by every call without options: no object allocated per call on the hot path.
const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Returns `options` as an object of the allowed keys, or throws `STORE_INVALID_ARGUMENT` if it
 * is not a plain options object or names an option `where` does not know (naming it, with the
 * likely intended option: `set(k, v, { ttl })` must never silently mean "no expiry").
 */
export function readOptions<T extends object>(
  options: unknown,
  where: string,
  known: readonly (keyof T & string)[],
): Partial<T> {
  if (options === undefined) return NO_OPTIONS as Partial<T>;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} options must be an object, got ${describe(options)}`,
    );
  }
  // for-in, not Object.keys: no array allocated per call on the hot path.
  for (const name in options) {
    if ((known as readonly string[]).includes(name)) continue;
    const alias = ALIASES[name];
    const hint =
      alias !== undefined && (known as readonly string[]).includes(alias)
        ? `; did you mean '${alias}'?`
        : '';
    const takes = known.length === 0 ? 'no options' : `{ ${known.join(', ')} }`;
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `unknown option '${name}' of ${where}${hint} (${where} takes ${takes})`,
    );
  }
  return options as Partial<T>;
}
