/** Seconds: finite and > 0; fractions allowed, resolved to whole milliseconds. */
export type Duration = number;

/** Options of `Store.set` and `Store.setIfAbsent`. */
export interface SetOptions {
  /** Seconds until the entry expires; absent means it never expires. */
  expiresIn?: Duration;
}

/** Options of `Store.get`. */
export interface GetOptions {
  /** If the entry already expires, reset its expiry to this many seconds from now. */
  renewFor?: Duration;
}

/** Options of `Store.increment`. */
export interface IncrementOptions {
  /** The safe integer to add (negatives subtract). Default `1`. */
  by?: number;
  /** Seconds until the entry expires, applied only when this call creates the entry. */
  expiresIn?: Duration;
}

/** Options of `Store.touch`. */
export interface TouchOptions {
  /** The entry's new expiry, in seconds from now. Required. */
  expiresIn: Duration;
}

/** Options of `Store.keys`. */
export interface KeysOptions {
  /** Only keys starting with this string. Default: every key. */
  prefix?: string;
}

/** An honest, frozen description of what a store can do; the conformance suite skips by it. */
export interface StoreCapabilities {
  /** Data survives the process (file, Redis, Valkey). */
  readonly persistent: boolean;
  /** Other processes with the same configuration see the same data. */
  readonly shared: boolean;
  /** The backend removes expired entries by itself. */
  readonly nativeExpiry: boolean;
  /** The store has `deleteExpired(): Promise<number>`. */
  readonly deleteExpired: boolean;
}

/** The async key-value contract every @stores backend implements identically. */
export interface Store extends AsyncDisposable {
  /** What this store can do. */
  readonly capabilities: StoreCapabilities;
  /** Stores a copy of `value` (a string as UTF-8) under `key`, replacing any previous entry. */
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void>;
  /** The stored bytes (a fresh copy) or `null`; `renewFor` resets an existing expiry atomically. */
  get(key: string, options?: GetOptions): Promise<Uint8Array | null>;
  /** Removes the entry; resolves `true` if an unexpired entry was removed. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry of this namespace and the namespaces below it, and nothing else. */
  deleteAll(): Promise<void>;
  /** True if the key holds an unexpired entry. */
  exists(key: string): Promise<boolean>;
  /** Remaining seconds (1 ms resolution), `Infinity` for no expiry, `null` if missing or expired. */
  expiresIn(key: string): Promise<number | null>;
  /** Writes only if the key holds no unexpired entry, atomically; resolves whether it wrote. */
  setIfAbsent(key: string, value: Uint8Array | string, options?: SetOptions): Promise<boolean>;
  /**
   * Atomically adds `by` (default 1) to the integer the entry holds (missing counts as 0) and
   * resolves the result; `expiresIn` applies only when this call creates the entry.
   */
  increment(key: string, options?: IncrementOptions): Promise<number>;
  /** Sets an unexpired entry's expiry without reading its value; resolves whether it existed. */
  touch(key: string, options: TouchOptions): Promise<boolean>;
  /** Streams this namespace's own unexpired keys (not child namespaces'), each once, any order. */
  keys(options?: KeysOptions): AsyncIterableIterator<string>;
  /** A child store in the namespace `name` below this one, sharing this store's resources. */
  withNamespace(name: string): Store;
  /** Releases what this store owns; idempotent. Later calls reject with `STORE_CLOSED`. */
  close(): Promise<void>;
}

/** A store that can sweep its expired entries on demand (`capabilities.deleteExpired`). */
export interface ExpirySweepingStore extends Store {
  /** Removes expired entries of this namespace and those below it; resolves to how many. */
  deleteExpired(): Promise<number>;
}
