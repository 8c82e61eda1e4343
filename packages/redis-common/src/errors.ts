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

// Replies that refuse the connection's credentials: no command will work until they change.
const REFUSED_CREDENTIALS = new Set(['NOAUTH', 'WRONGPASS']);

// Socket error codes in plain words; the code itself is kept in the message too.
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (yet)',
  ETIMEDOUT: 'connecting timed out',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while writing',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENOENT: 'no such socket file',
};

/** True if `error` is an error reply from the server (not a client or transport failure). */
export function isReplyError(error: unknown): error is Error & { name: 'ReplyError' } {
  return error instanceof Error && error.name === 'ReplyError';
}

/** True for a client's "no connection" error, which says nothing about why. */
function isConnectionGone(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    error.message.startsWith('Stream isn')
  );
}

/** The bytes the server sent were not the Redis protocol (RESP): ioredis and iovalkey words. */
function isProtocolError(error: Error): boolean {
  return /^(Unknown RESP type|Protocol error)/.test(error.message);
}

/** Why a connection failed, in words, or undefined if `error` does not say. */
function connectionProblem(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code in SOCKET_ERRORS) return `${SOCKET_ERRORS[code]} (${code})`;
  if (isProtocolError(error)) {
    return `not a Redis server: it answered with bytes that are not the Redis protocol (${error.message})`;
  }
  if (isReplyError(error)) {
    const word = error.message.split(' ', 1)[0] ?? '';
    if (REFUSED_CREDENTIALS.has(word)) {
      return `it refused the credentials: ${error.message} (check the user name and password of the URL or clientOptions)`;
    }
    if (/DB index is out of range/.test(error.message)) {
      const db = (error as { command?: { args?: unknown[] } }).command?.args?.[0];
      return `it has no db ${String(db ?? '')}: ${error.message} (a db must be below the server's "databases" setting, 16 by default)`;
    }
  }
  return undefined;
}

/**
 * Maps a client failure to a `StoreError` that names `endpoint` (`host:port`), keeping the
 * failure as `cause`. `lastConnectionError`, the latest error of the connection itself, says
 * why when the failure does not (the client's "Connection is closed." or max-retries error).
 * - no connection (refused, unresolvable host, timeout, not a Redis server, wrong password or
 *   db) and "unavailable" replies (`LOADING`, `CLUSTERDOWN`, `READONLY`, ...) ->
 *   `STORE_CONNECTION`: retrying later (or with other settings) may succeed;
 * - any other error reply (`WRONGTYPE`, `OOM`, `NOPERM`, ...) -> `STORE_IO`: the server is
 *   reachable but failed the operation, so retrying the same call will not help.
 */
export function toStoreError(
  error: unknown,
  endpoint = 'the server',
  lastConnectionError?: Error,
): StoreError {
  if (StoreError.is(error)) return error;
  if (!(error instanceof Error)) {
    return new StoreError('STORE_CONNECTION', `${endpoint} failed: ${String(error)}`, {
      cause: error,
    });
  }
  const problem =
    connectionProblem(error) ??
    (lastConnectionError !== undefined && isConnectionGone(error)
      ? connectionProblem(lastConnectionError)
      : undefined);
  if (problem !== undefined) {
    return new StoreError('STORE_CONNECTION', `cannot use ${endpoint}: ${problem}`, {
      cause: error,
    });
  }
  if (isReplyError(error)) {
    const word = error.message.split(' ', 1)[0] ?? '';
    return UNAVAILABLE.has(word)
      ? new StoreError('STORE_CONNECTION', `${endpoint} is unavailable: ${error.message}`, {
          cause: error,
        })
      : new StoreError('STORE_IO', `${endpoint} failed the command: ${error.message}`, {
          cause: error,
        });
  }
  return new StoreError('STORE_CONNECTION', `cannot reach ${endpoint}: ${error.message}`, {
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
  /** The bound promise's (or command's) reject; dropped once settled, so nothing big is held. */
  reject: ((error: StoreError) => void) | undefined;
}

// The queue is copied without its settled head once that is this long, and without every
// settled command once it holds this many more than the last copy (a command that hangs at
// its head would otherwise keep every later, settled one queued until its deadline).
const COMPACT_AFTER = 1024;

const isPending = (entry: Pending): boolean => entry.reject !== undefined;
const same = (error: unknown): unknown => error;

/**
 * Bounds every command of a store tree by one timeout with a single timer, not one per
 * command. Commands share one timeout, so the order they are bound in is deadline order: they
 * wait in a FIFO queue, settled ones are dropped from its head as new ones come, and the timer
 * fires only at the earliest deadline. (A Set of pending commands, one add and one delete
 * each, cost about a quarter of a store's CPU per call at 64 in flight.)
 */
export class CommandTimer {
  readonly #timeoutMs: number;
  readonly #onTimeout: (error: StoreError) => void;
  readonly #message: string;
  #queue: Pending[] = [];
  #head = 0;
  #compactAt = COMPACT_AFTER;
  #timer: NodeJS.Timeout | undefined;

  /**
   * A timer for commands that must settle within `timeoutMs` (`Infinity`: no bound) at
   * `endpoint`; `onTimeout` hears of each expiry before the command rejects.
   */
  constructor(
    timeoutMs: number,
    endpoint = 'the server',
    onTimeout: (error: StoreError) => void = () => {},
  ) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
    this.#message = `no reply from ${endpoint} in ${timeoutMs} ms (commandTimeoutMs)`;
  }

  /**
   * `promise`, or a `STORE_CONNECTION` rejection once it has not settled within the timeout;
   * its failures pass through `map`. With `cancel`, the command's own reject, the timeout
   * rejects the command itself and no promise of ours wraps it (one promise less per call).
   */
  bound<T>(
    promise: Promise<T>,
    map: (error: unknown) => unknown = same,
    cancel?: (error: Error) => void,
  ): Promise<T> {
    if (this.#timeoutMs === Number.POSITIVE_INFINITY) {
      if (map === same) return promise;
      return promise.then(undefined, (error: unknown) => {
        throw map(error);
      });
    }
    const deadline = performance.now() + this.#timeoutMs;
    if (cancel !== undefined) {
      const pending: Pending = { deadline, reject: cancel };
      this.#enqueue(pending);
      return promise.then(
        (value) => {
          pending.reject = undefined;
          return value;
        },
        (error: unknown) => {
          pending.reject = undefined;
          throw map(error);
        },
      );
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline, reject };
      this.#enqueue(pending);
      promise.then(
        (value) => {
          pending.reject = undefined;
          resolve(value);
        },
        (error: unknown) => {
          pending.reject = undefined;
          reject(map(error));
        },
      );
    });
  }

  /** How many commands the queue holds, settled ones not yet dropped included (for tests). */
  get held(): number {
    return this.#queue.length - this.#head;
  }

  #enqueue(pending: Pending): void {
    let queue = this.#queue;
    let head = this.#head;
    while (head < queue.length && queue[head]?.reject === undefined) head++;
    const waiting = queue.length - head;
    if (waiting === 0) {
      queue.length = 0;
      head = 0;
      this.#compactAt = COMPACT_AFTER;
    } else if (head >= COMPACT_AFTER || waiting >= this.#compactAt) {
      // Keep the queue near what is in flight: drop the settled head, and, when a command
      // that hangs at the head holds many settled ones behind it, those too.
      queue = waiting >= this.#compactAt ? queue.slice(head).filter(isPending) : queue.slice(head);
      head = 0;
      // Twice what still waits: compacting stays O(1) per command however many hang.
      this.#compactAt = 2 * queue.length + COMPACT_AFTER;
      this.#queue = queue;
    }
    this.#head = head;
    queue.push(pending);
    this.#arm(this.#timeoutMs);
  }

  #arm(delayMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#expire(), delayMs);
    this.#timer.unref(); // pending commands keep the process alive through their socket
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    for (; this.#head < queue.length; this.#head++) {
      const pending = queue[this.#head];
      const reject = pending?.reject;
      if (pending === undefined || reject === undefined) continue;
      if (pending.deadline > now) {
        this.#arm(pending.deadline - now);
        return;
      }
      pending.reject = undefined;
      const error = new StoreError('STORE_CONNECTION', this.#message);
      this.#onTimeout(error);
      reject(error);
    }
    queue.length = 0;
    this.#head = 0;
    this.#compactAt = COMPACT_AFTER;
  }
}
