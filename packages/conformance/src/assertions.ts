import { StoreError, type StoreErrorCode } from '@stores/core';

/** A failed conformance expectation; its message says what the contract wanted. */
export class ConformanceError extends Error {
  /** Creates a failure with a message stating the expectation that did not hold. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConformanceError';
  }
}

/** Throws a `ConformanceError` with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/** A short, safe rendering of a value for failure messages (arrays are summarised). */
export function show(value: unknown): string {
  if (value instanceof Uint8Array) {
    const head = [...value.subarray(0, 8)].join(',');
    return `Uint8Array(${value.length})[${head}${value.length > 8 ? ',…' : ''}]`;
  }
  if (typeof value === 'string') {
    return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  }
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Checks that `actual` is a `Uint8Array` holding exactly the bytes of `expected`. */
export function checkBytes(actual: unknown, expected: Uint8Array | string, what: string): void {
  const want = typeof expected === 'string' ? new TextEncoder().encode(expected) : expected;
  check(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${show(actual)}`);
  check(
    actual.length === want.length,
    `${what}: expected ${want.length} bytes, got ${actual.length} (${show(actual)})`,
  );
  for (let i = 0; i < want.length; i++) {
    if (actual[i] !== want[i]) {
      throw new ConformanceError(
        `${what}: byte ${i} is ${actual[i]}, expected ${want[i]} (${show(actual)} vs ${show(want)})`,
      );
    }
  }
}

/** How a call settled. */
export type Settled =
  | { readonly rejected: false }
  | { readonly rejected: true; readonly error: unknown };

/**
 * How `call()` settled; fails if it throws synchronously (the methods are async, so a caller's
 * `.catch` must see every error).
 */
export async function settle(call: () => Promise<unknown>, what: string): Promise<Settled> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new ConformanceError(`${what}: threw synchronously instead of rejecting`, {
      cause: error,
    });
  }
  try {
    await promise;
    return { rejected: false };
  } catch (error) {
    return { rejected: true, error };
  }
}

/**
 * Checks that `call()` rejects with a `StoreError` of `code` (by `StoreError.is`, so it works
 * across copies of @stores/core) and returns it. A synchronous throw fails.
 */
export async function checkRejects(
  call: () => Promise<unknown>,
  code: StoreErrorCode,
  what: string,
): Promise<StoreError> {
  const settled = await settle(call, what);
  if (!settled.rejected) throw new ConformanceError(`${what}: expected ${code}, but it resolved`);
  if (StoreError.is(settled.error, code)) return settled.error;
  throw new ConformanceError(`${what}: expected ${code}, got ${describeError(settled.error)}`, {
    cause: settled.error,
  });
}

/** Checks that the synchronous `call()` throws a `StoreError` of `code`. */
export function checkThrows(call: () => unknown, code: StoreErrorCode, what: string): void {
  try {
    call();
  } catch (error) {
    if (StoreError.is(error, code)) return;
    throw new ConformanceError(`${what}: expected ${code}, got ${describeError(error)}`, {
      cause: error,
    });
  }
  throw new ConformanceError(`${what}: expected ${code}, but it returned`);
}

/** The error's code (for a StoreError) or name, and its message. */
export function describeError(error: unknown): string {
  if (StoreError.is(error)) return `${error.code}: ${error.message}`;
  if (error instanceof ConformanceError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return show(error);
}
