import { StoreError } from '@stores/core';

// Server replies that mean "not available right now" (loading, failover, cluster down): the
// caller may retry later, exactly as with a lost connection.
const UNAVAILABLE = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'READONLY',
  'NOREPLICAS',
]);

/** True if `error` is an error reply from the server (not a client or transport failure). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Maps a client failure to a `StoreError`, keeping it as `cause`:
 * - no reply (refused, closed, timed out, retries exhausted) and "unavailable" replies
 *   (`LOADING`, `CLUSTERDOWN`, `READONLY`, ...) -> `STORE_CONNECTION`;
 * - any other error reply (`WRONGTYPE`, `OOM`, `NOPERM`, ...) -> `STORE_IO`: the server is
 *   reachable but failed the operation, so retrying the same call will not help.
 */
export function toStoreError(error: unknown): StoreError {
  if (StoreError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isReplyError(error)) {
    const code = message.split(' ', 1)[0] ?? '';
    return UNAVAILABLE.has(code)
      ? new StoreError('STORE_CONNECTION', `the server is unavailable: ${message}`, {
          cause: error,
        })
      : new StoreError('STORE_IO', `the server failed the command: ${message}`, { cause: error });
  }
  return new StoreError('STORE_CONNECTION', `the server could not be reached: ${message}`, {
    cause: error,
  });
}

/** Rejects with a `STORE_CONNECTION` error if `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  if (timeoutMs === Number.POSITIVE_INFINITY) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new StoreError('STORE_CONNECTION', `no reply from the server in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // A late failure of the abandoned command must not become an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
