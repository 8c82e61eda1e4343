/** Seconds: finite and > 0; fractions allowed, resolved to whole milliseconds. */
export type Duration = number;

/** Options of `Store.set`. */
export interface SetOptions {
  /** Seconds until the entry expires; absent means it never expires. */
  expiresIn?: Duration;
}

/** Options of `Store.get`. */
export interface GetOptions {
  /** If the entry already expires, reset its expiry to this many seconds from now. */
  renewFor?: Duration;
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
  /** Removes the entry; a missing key is a no-op. */
  delete(key: string): Promise<void>;
  /** Removes every entry of this namespace and the namespaces below it, and nothing else. */
  deleteAll(): Promise<void>;
  /** True if the key holds an unexpired entry. */
  exists(key: string): Promise<boolean>;
  /** Remaining seconds (1 ms resolution), `Infinity` for no expiry, `null` if missing or expired. */
  expiresIn(key: string): Promise<number | null>;
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
