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

interface Pending {
  readonly deadline: number;
  readonly reject: (error: StoreError) => void;
}

/**
 * Bounds every command of a store tree by one timeout with a single timer, not one per
 * command: a command costs a Set entry, and the timer fires only at the earliest deadline.
 * Commands share one timeout, so insertion order is deadline order.
 */
export class CommandTimer {
  readonly #timeoutMs: number;
  readonly #pending = new Set<Pending>();
  #timer: NodeJS.Timeout | undefined;

  /** A timer for commands that must settle within `timeoutMs` (`Infinity`: no bound). */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** `promise`, or a `STORE_CONNECTION` rejection once it has not settled within the timeout. */
  bound<T>(promise: Promise<T>): Promise<T> {
    if (this.#timeoutMs === Number.POSITIVE_INFINITY) return promise;
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline: performance.now() + this.#timeoutMs, reject };
      this.#pending.add(pending);
      this.#arm(this.#timeoutMs);
      promise.then(
        (value) => {
          this.#pending.delete(pending);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(pending);
          reject(error);
        },
      );
    });
  }

  #arm(delayMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#expire(), delayMs);
    this.#timer.unref(); // pending commands keep the process alive through their socket
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const pending of this.#pending) {
      if (pending.deadline > now) {
        this.#arm(pending.deadline - now);
        return;
      }
      this.#pending.delete(pending);
      pending.reject(
        new StoreError('STORE_CONNECTION', `no reply from the server in ${this.#timeoutMs} ms`),
      );
    }
  }
}
