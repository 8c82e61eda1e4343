import { assertIncrement } from './counter.js';
import { describe, durationToMs, msToSeconds } from './duration.js';
import { StoreError } from './errors.js';
import type {
  GetOptions,
  IncrementOptions,
  KeysOptions,
  SetOptions,
  Store,
  StoreCapabilities,
  TouchOptions,
} from './types.js';
import { assertKey, assertNamespace, readOptions, toBytes, viewBytes } from './validate.js';

/** What a hook returns: its result, or a promise of it; a synchronous hook saves a promise per call. */
export type Awaitable<T> = T | Promise<T>;

const SET_OPTIONS = ['expiresIn'] as const;
const GET_OPTIONS = ['renewFor'] as const;
const INCREMENT_OPTIONS = ['by', 'expiresIn'] as const;
const TOUCH_OPTIONS = ['expiresIn'] as const;
const KEYS_OPTIONS = ['prefix'] as const;

/**
 * The base of every first-party backend. Public methods validate and normalise their
 * arguments, guard against use after `close()`, then call a small protected hook; a backend
 * implements only the hooks, which always receive valid arguments:
 * keys are well-formed strings, values are private byte copies (or what `intake` makes of them,
 * the class's `Value`), durations are whole ms.
 * A hook may answer synchronously (MemoryStore does) or with a promise; either way the public
 * method returns a promise, and whatever a hook throws or rejects with reaches the caller as a
 * `StoreError` (a foreign error becomes `STORE_IO` with the original as `cause`).
 */
export abstract class BaseStore<Value = Uint8Array> implements Store {
  /** What this store can do; frozen by each backend. */
  abstract readonly capabilities: StoreCapabilities;

  /**
   * Set `true` in a backend whose `doSet` / `doSetIfAbsent` copy or send the bytes before their
   * first `await`: they then get a view of the caller's own memory instead of a private copy,
   * which saves a copy per write (an `ArrayBuffer` allocation, the dearest part of a small write).
   * The view must not be kept, nor read after that first `await`.
   */
  protected readonly borrowsValues: boolean = false;
  #parent: BaseStore<unknown> | undefined;
  #namespacePath: readonly string[] = Object.freeze([]);
  #closed: Promise<void> | undefined;

  /** The names of the namespaces from the root to this store; empty for a root store. */
  get namespacePath(): readonly string[] {
    return this.#namespacePath;
  }

  /** True once this store, or any store it descends from, was closed. */
  get closed(): boolean {
    return this.#closed !== undefined || (this.#parent?.closed ?? false);
  }

  // The public methods are not `async`: they validate synchronously and hand back a promise of
  // the hook's answer, so a call costs one promise for a synchronous hook, two for an async one;
  // `settle` turns a throw into a rejection and a foreign error into a StoreError, so every
  // method only ever rejects with one.

  /** Stores a private copy of `value` under `key`, replacing any previous entry. */
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    return settle('set', () => {
      this.#assertReady(key);
      return this.doSet(key, this.intake(value), expiryMs(options, 'set()'));
    });
  }

  /** The stored bytes or `null`; `renewFor` resets an existing expiry atomically with the read. */
  get(key: string, options?: GetOptions): Promise<Uint8Array | null> {
    return settle('get', () => {
      this.#assertReady(key);
      const { renewFor } = readOptions<GetOptions>(options, 'get()', GET_OPTIONS);
      const renewMs = renewFor === undefined ? undefined : durationToMs(renewFor, 'renewFor');
      return this.doGet(key, renewMs);
    });
  }

  /** Removes the entry; resolves `true` if an unexpired entry was removed. */
  delete(key: string): Promise<boolean> {
    return settle('delete', () => {
      this.#assertReady(key);
      return this.doDelete(key);
    });
  }

  /** Removes every entry of this namespace and of the namespaces below it, and nothing else. */
  deleteAll(): Promise<void> {
    return settle('deleteAll', () => {
      this.assertOpen();
      return this.doDeleteAll();
    });
  }

  /** True if `key` holds an entry whose expiry has not come. */
  exists(key: string): Promise<boolean> {
    return settle('exists', () => {
      this.#assertReady(key);
      return this.doExists(key);
    });
  }

  /** Remaining seconds (1 ms resolution), `Infinity` without expiry, `null` if missing or expired. */
  expiresIn(key: string): Promise<number | null> {
    return settle('expiresIn', () => {
      this.#assertReady(key);
      return then(this.doExpiresIn(key), (ms) => (ms === null ? null : msToSeconds(ms)));
    });
  }

  /** Writes a private copy of `value` only if `key` holds no unexpired entry; resolves whether it did. */
  setIfAbsent(key: string, value: Uint8Array | string, options?: SetOptions): Promise<boolean> {
    return settle('setIfAbsent', () => {
      this.#assertReady(key);
      return this.doSetIfAbsent(key, this.intake(value), expiryMs(options, 'setIfAbsent()'));
    });
  }

  /** Atomically adds `by` (default 1) to the entry's integer; `expiresIn` only on creation. */
  increment(key: string, options?: IncrementOptions): Promise<number> {
    return settle('increment', () => {
      this.#assertReady(key);
      const { by = 1, expiresIn } = readOptions<IncrementOptions>(
        options,
        'increment()',
        INCREMENT_OPTIONS,
      );
      assertIncrement(by);
      const ttlMs = expiresIn === undefined ? undefined : durationToMs(expiresIn, 'expiresIn');
      return this.doIncrement(key, by, ttlMs);
    });
  }

  /** Sets an unexpired entry's expiry to `expiresIn` from now; resolves whether it existed. */
  touch(key: string, options: TouchOptions): Promise<boolean> {
    return settle('touch', () => {
      this.#assertReady(key);
      if (options === undefined) {
        throw new StoreError('STORE_INVALID_ARGUMENT', 'touch() needs { expiresIn }');
      }
      const { expiresIn } = readOptions<TouchOptions>(options, 'touch()', TOUCH_OPTIONS);
      return this.doTouch(key, durationToMs(expiresIn, 'expiresIn'));
    });
  }

  /**
   * Streams the keys of this namespace's own unexpired entries (not child namespaces'), those
   * starting with `prefix` only if given. Breaking out of the loop releases what it holds.
   */
  keys(options?: KeysOptions): AsyncIterableIterator<string> {
    return this.#keys(options);
  }

  async *#keys(options: KeysOptions | undefined): AsyncGenerator<string, void, undefined> {
    try {
      this.assertOpen();
      const { prefix } = readOptions<KeysOptions>(options, 'keys()', KEYS_OPTIONS);
      if (prefix !== undefined && (typeof prefix !== 'string' || !prefix.isWellFormed())) {
        throw new StoreError(
          'STORE_INVALID_ARGUMENT',
          `keys() option 'prefix' must be a well-formed string, got ${describe(prefix)}`,
        );
      }
      for await (const key of this.doKeys(prefix)) {
        this.assertOpen();
        yield key;
      }
      // A store closed mid-iteration may just have run out of keys: say why it ended.
      this.assertOpen();
    } catch (error) {
      throw toStoreError('keys', error);
    }
  }

  /** A child store in namespace `name` below this one; it shares this store's resources. */
  withNamespace(name: string): this {
    this.assertOpen();
    assertNamespace(name);
    // createNamespace builds a store of the backend's own class, so the child is a `this`.
    const child = this.createNamespace(name) as this;
    child.#parent = this;
    child.#namespacePath = Object.freeze([...this.#namespacePath, name]);
    return child;
  }

  /** Releases what this store owns (a root store only; children own nothing). Idempotent. */
  close(): Promise<void> {
    this.#closed ??=
      this.#parent === undefined
        ? settle('close', () => this.releaseResources())
        : Promise.resolve();
    return this.#closed;
  }

  /** `await using store = ...` closes the store at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Throws `STORE_CLOSED` if this store or one it descends from was closed; call it first in
   * any public method a backend adds beyond the contract.
   */
  protected assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }

  /**
   * What the write hooks get for the caller's `value`: a private copy (`toBytes`), or with
   * `borrowsValues` a view of the caller's memory (`viewBytes`). A backend that keeps values in
   * another form (its `Value`) overrides it, validating with those two.
   */
  protected intake(value: unknown): Value {
    // `Value` is `Uint8Array` unless a backend overrides this very method to make another form.
    return (this.borrowsValues ? viewBytes(value) : toBytes(value)) as Value;
  }

  #assertReady(key: unknown): void {
    this.assertOpen();
    assertKey(key);
  }

  /**
   * Writes `value` (as `intake` made it: a private copy, or with `borrowsValues` the caller's
   * bytes, to be used before the first `await`) with a lifetime of `ttlMs`, or none when undefined.
   */
  protected abstract doSet(key: string, value: Value, ttlMs: number | undefined): Awaitable<void>;
  /** Reads a fresh copy; with `renewMs`, resets an existing expiry atomically with the read. */
  protected abstract doGet(key: string, renewMs: number | undefined): Awaitable<Uint8Array | null>;
  /** Removes one entry; `true` if an unexpired entry was removed. */
  protected abstract doDelete(key: string): Awaitable<boolean>;
  /** Removes this namespace's entries and every child namespace's, nothing else. */
  protected abstract doDeleteAll(): Awaitable<void>;
  /** True if the entry exists and has not expired. */
  protected abstract doExists(key: string): Awaitable<boolean>;
  /** Remaining whole ms (>= 1), `Infinity` without expiry, `null` if missing or expired. */
  protected abstract doExpiresIn(key: string): Awaitable<number | null>;
  /** Atomically writes `value` (as `doSet` gets it) only if no unexpired entry holds `key`; `true` if it wrote. */
  protected abstract doSetIfAbsent(
    key: string,
    value: Value,
    ttlMs: number | undefined,
  ): Awaitable<boolean>;
  /**
   * Atomically adds `by` (a safe integer) to the entry's counter (see `parseCounter`,
   * `addToCounter`, `formatCounter`); a missing or expired entry is 0 and is created with
   * `ttlMs`, an existing one keeps its expiry. Leaves the entry unchanged when it throws.
   */
  protected abstract doIncrement(
    key: string,
    by: number,
    ttlMs: number | undefined,
  ): Awaitable<number>;
  /** Sets an unexpired entry's expiry to `ttlMs` from now without rewriting its value. */
  protected abstract doTouch(key: string, ttlMs: number): Awaitable<boolean>;
  /** Streams this namespace's own unexpired keys starting with `prefix` (any if undefined). */
  protected abstract doKeys(prefix: string | undefined): AsyncIterable<string>;
  /** A store of the same backend sharing this one's resources, scoped to child namespace `name`. */
  protected abstract createNamespace(name: string): BaseStore<unknown>;
  /** Releases the resources a root store owns; called once, on the first `close()`. */
  protected releaseResources(): Promise<void> {
    return Promise.resolve();
  }
}

function expiryMs(options: SetOptions | undefined, where: string): number | undefined {
  const { expiresIn } = readOptions<SetOptions>(options, where, SET_OPTIONS);
  return expiresIn === undefined ? undefined : durationToMs(expiresIn, 'expiresIn');
}

/** A `StoreError` as it is; anything else wrapped as `STORE_IO` with the original as `cause`. */
function toStoreError(method: string, error: unknown): StoreError {
  if (StoreError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError('STORE_IO', `${method}() failed: ${message}`, { cause: error });
}

/** The methods whose failures `settle` names. */
const METHODS = [
  'set',
  'get',
  'delete',
  'deleteAll',
  'exists',
  'expiresIn',
  'setIfAbsent',
  'increment',
  'touch',
  'close',
] as const;
type Method = (typeof METHODS)[number];

// One rejection handler per method, made once: a call then allocates no closure for it.
const RETHROW = Object.fromEntries(
  METHODS.map((method) => [
    method,
    (error: unknown): never => {
      throw toStoreError(method, error);
    },
  ]),
) as Readonly<Record<Method, (error: unknown) => never>>;

/**
 * Runs `call`, turning a synchronous throw into a rejected promise and any rejection that is not
 * a `StoreError` into one, so a hook's own `RangeError` or client error never escapes raw.
 */
function settle<T>(method: Method, call: () => Awaitable<T>): Promise<T> {
  try {
    const result = call();
    return isThenable(result)
      ? Promise.resolve(result).catch(RETHROW[method])
      : Promise.resolve(result);
  } catch (error) {
    return Promise.reject(toStoreError(method, error));
  }
}

function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** `map` applied to a hook's result, synchronously when the hook answered synchronously. */
function then<T, U>(value: Awaitable<T>, map: (value: T) => U): Awaitable<U> {
  return isThenable(value) ? Promise.resolve(value).then(map) : map(value);
}
