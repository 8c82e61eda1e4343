import { durationToMs, msToSeconds } from './duration.js';
import { StoreError } from './errors.js';
import type { GetOptions, SetOptions, Store, StoreCapabilities } from './types.js';
import { assertKey, assertNamespace, optionsObject, toBytes } from './validate.js';

/**
 * The base of every first-party backend. Public methods validate and normalise their
 * arguments, guard against use after `close()`, then call a small protected hook; a backend
 * implements only the hooks, which always receive valid arguments:
 * keys are well-formed strings, values are private byte copies, durations are whole ms.
 */
export abstract class BaseStore implements Store {
  /** What this store can do; frozen by each backend. */
  abstract readonly capabilities: StoreCapabilities;

  #parent: BaseStore | undefined;
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

  // The public methods are not `async`: they validate synchronously and hand back the hook's own
  // promise, so a call costs one promise, not two; `settle` turns a validation throw into a
  // rejection, so every method still only ever rejects.

  /** Stores a private copy of `value` under `key`, replacing any previous entry. */
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    return settle(() => {
      this.#assertReady(key);
      const bytes = toBytes(value);
      const expiresIn =
        options === undefined ? undefined : optionsObject<SetOptions>(options, 'set').expiresIn;
      const ttlMs = expiresIn === undefined ? undefined : durationToMs(expiresIn, 'expiresIn');
      return this.doSet(key, bytes, ttlMs);
    });
  }

  /** The stored bytes or `null`; `renewFor` resets an existing expiry atomically with the read. */
  get(key: string, options?: GetOptions): Promise<Uint8Array | null> {
    return settle(() => {
      this.#assertReady(key);
      const renewFor =
        options === undefined ? undefined : optionsObject<GetOptions>(options, 'get').renewFor;
      const renewMs = renewFor === undefined ? undefined : durationToMs(renewFor, 'renewFor');
      return this.doGet(key, renewMs);
    });
  }

  /** Removes the entry; a missing key is a no-op. */
  delete(key: string): Promise<void> {
    return settle(() => {
      this.#assertReady(key);
      return this.doDelete(key);
    });
  }

  /** Removes every entry of this namespace and of the namespaces below it, and nothing else. */
  deleteAll(): Promise<void> {
    return settle(() => {
      this.assertOpen();
      return this.doDeleteAll();
    });
  }

  /** True if `key` holds an entry whose expiry has not come. */
  exists(key: string): Promise<boolean> {
    return settle(() => {
      this.#assertReady(key);
      return this.doExists(key);
    });
  }

  /** Remaining seconds (1 ms resolution), `Infinity` without expiry, `null` if missing or expired. */
  expiresIn(key: string): Promise<number | null> {
    return settle(() => {
      this.#assertReady(key);
      return this.doExpiresIn(key).then((ms) => (ms === null ? null : msToSeconds(ms)));
    });
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
    this.#closed ??= this.#parent === undefined ? this.releaseResources() : Promise.resolve();
    return this.#closed;
  }

  /** `await using store = ...` closes the store at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Throws `STORE_CLOSED` if this store or one it descends from was closed. */
  protected assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }

  #assertReady(key: unknown): void {
    this.assertOpen();
    assertKey(key);
  }

  /** Writes `value` (a private copy) with a lifetime of `ttlMs`, or none when undefined. */
  protected abstract doSet(
    key: string,
    value: Uint8Array,
    ttlMs: number | undefined,
  ): Promise<void>;
  /** Reads a fresh copy; with `renewMs`, resets an existing expiry atomically with the read. */
  protected abstract doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null>;
  /** Removes one entry; a no-op if it is missing. */
  protected abstract doDelete(key: string): Promise<void>;
  /** Removes this namespace's entries and every child namespace's, nothing else. */
  protected abstract doDeleteAll(): Promise<void>;
  /** True if the entry exists and has not expired. */
  protected abstract doExists(key: string): Promise<boolean>;
  /** Remaining whole ms (>= 1), `Infinity` without expiry, `null` if missing or expired. */
  protected abstract doExpiresIn(key: string): Promise<number | null>;
  /** A store of the same backend sharing this one's resources, scoped to child namespace `name`. */
  protected abstract createNamespace(name: string): BaseStore;
  /** Releases the resources a root store owns; called once, on the first `close()`. */
  protected releaseResources(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs `call`, turning a synchronous throw into a rejected promise. */
function settle<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}
