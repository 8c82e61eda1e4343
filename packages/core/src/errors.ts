/** Every stable error code a store can reject with; codes are public API, messages are not. */
export type StoreErrorCode =
  | 'STORE_INVALID_KEY'
  | 'STORE_INVALID_VALUE'
  | 'STORE_INVALID_ARGUMENT'
  | 'STORE_CLOSED'
  | 'STORE_NAMESPACE_REQUIRED'
  | 'STORE_ALREADY_REGISTERED'
  | 'STORE_CONNECTION'
  | 'STORE_IO';

/** The list of every `StoreErrorCode`, frozen, for exhaustive checks and docs. */
export const STORE_ERROR_CODES: readonly StoreErrorCode[] = Object.freeze([
  'STORE_INVALID_KEY',
  'STORE_INVALID_VALUE',
  'STORE_INVALID_ARGUMENT',
  'STORE_CLOSED',
  'STORE_NAMESPACE_REQUIRED',
  'STORE_ALREADY_REGISTERED',
  'STORE_CONNECTION',
  'STORE_IO',
] as const);

// A global symbol, so two copies of @stores/core in one process recognise each other's errors.
const BRAND: unique symbol = Symbol.for('@stores/core.StoreError') as never;

/** The one error class of @stores: a stable `code`, the original error as `cause`. */
export class StoreError extends Error {
  /** The stable, documented reason for the failure. */
  readonly code: StoreErrorCode;

  /** Creates an error with a stable code; `cause` keeps the underlying error. */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for a StoreError from any copy of @stores/core (optionally of the given code). */
  static is(value: unknown, code?: StoreErrorCode): value is StoreError {
    if (typeof value !== 'object' || value === null) return false;
    if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false;
    return code === undefined || (value as StoreError).code === code;
  }
}
