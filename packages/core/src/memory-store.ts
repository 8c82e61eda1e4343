import { BaseStore } from './base-store.js';
import { StoreError } from './errors.js';
import type { StoreCapabilities } from './types.js';
import { copyBytes } from './validate.js';

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * Upper bound on entries across the root and all its namespaces; when a write would exceed
   * it, the least recently used entries are evicted. Default: unbounded.
   */
  maxEntries?: number;
  /** The clock, in ms since the epoch; inject a fake one in tests. Default: `Date.now`. */
  now?: () => number;
}

interface Entry {
  readonly value: Uint8Array;
  /** ms since the epoch; `Infinity` when the entry never expires. */
  expiresAt: number;
  readonly key: string;
  readonly space: Space;
}

/** The entries of one namespace, keyed by the caller's key as is (no prefix to build). */
class Space {
  readonly entries = new Map<string, Entry>();
  /** Where the amortised sweep of this namespace goes on from. */
  sweep: Iterator<Entry> | undefined;
}

// Expired entries are swept a few per write, so no timer per key and no pause for a full scan.
const SWEEP_PER_WRITE = 4;

/** The state a root store and all its namespaces share. */
class MemoryState {
  /** Every namespace by its path encoding (see `segment`); the root's is the empty string. */
  readonly spaces = new Map<string, Space>();
  /** Bounded stores only: every entry, least recently used first (a Set keeps insertion order). */
  readonly recency: Set<Entry> | undefined;
  readonly maxEntries: number;
  readonly now: () => number;

  constructor(options: MemoryStoreOptions) {
    const { maxEntries = Number.POSITIVE_INFINITY, now = Date.now } = options;
    if (
      maxEntries !== Number.POSITIVE_INFINITY &&
      !(Number.isSafeInteger(maxEntries) && maxEntries > 0)
    ) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'maxEntries must be a positive integer');
    }
    if (typeof now !== 'function') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'now must be a function returning ms');
    }
    this.maxEntries = maxEntries;
    this.recency = maxEntries === Number.POSITIVE_INFINITY ? undefined : new Set();
    this.now = now;
  }

  space(path: string): Space {
    let space = this.spaces.get(path);
    if (space === undefined) {
      space = new Space();
      this.spaces.set(path, space);
    }
    return space;
  }

  /** The live entry under `key`, dropping it if its time has come (`now >= expiresAt`). */
  live(space: Space, key: string, now: number): Entry | undefined {
    const entry = space.entries.get(key);
    if (entry === undefined || now < entry.expiresAt) return entry;
    this.remove(entry);
    return undefined;
  }

  /** Marks `entry` most recently used; only bounded stores pay for the bookkeeping. */
  touch(entry: Entry): void {
    if (this.recency === undefined) return;
    this.recency.delete(entry);
    this.recency.add(entry);
  }

  /** Stores `entry`, sweeps a few expired entries of its namespace, enforces the bound. */
  write(entry: Entry, now: number): void {
    const { space, key } = entry;
    const previous = space.entries.get(key);
    space.entries.set(key, entry);
    this.#sweepSome(space, now);
    if (this.recency === undefined) return;
    if (previous !== undefined) this.recency.delete(previous);
    this.recency.add(entry);
    // Checked first: an iterator over a Set with many deleted slots is slow to start.
    while (this.recency.size > this.maxEntries) {
      const oldest = this.recency.values().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  remove(entry: Entry): void {
    const { space, key } = entry;
    if (space.entries.get(key) === entry) space.entries.delete(key);
    this.recency?.delete(entry);
  }

  /** The namespaces at `path` and below it. */
  *within(path: string): Iterable<Space> {
    for (const [candidate, space] of this.spaces) if (candidate.startsWith(path)) yield space;
  }

  #sweepSome(space: Space, now: number): void {
    for (let i = 0; i < SWEEP_PER_WRITE; i++) {
      space.sweep ??= space.entries.values();
      const next = space.sweep.next();
      if (next.done === true) {
        space.sweep = undefined;
        return;
      }
      // Deleting the current entry while iterating a Map is safe and visits the rest.
      if (now >= next.value.expiresAt) this.remove(next.value);
    }
  }
}

/**
 * Encodes one namespace name so that the concatenation of a path's encodings is injective and
 * prefix-closed: `<length>:<name>`. A namespace's path starts with another's only if that one
 * is its ancestor (`1:a` is not a prefix of `2:ab`).
 */
function segment(name: string): string {
  return `${name.length}:${name}`;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  persistent: false,
  shared: false,
  nativeExpiry: false,
  deleteExpired: true,
});

/** A store in this process's memory: values copied in and out, namespaces, optional LRU bound. */
export class MemoryStore extends BaseStore {
  /** Not persistent, not shared, sweeps expired entries on writes and on `deleteExpired()`. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  #state: MemoryState;
  #path = '';
  #space: Space;

  /** Creates an empty root store. */
  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.#state = new MemoryState(options);
    this.#space = this.#state.space('');
  }

  /** Removes the expired entries of this namespace and those below it; resolves to how many. */
  async deleteExpired(): Promise<number> {
    this.assertOpen();
    const now = this.#state.now();
    let removed = 0;
    for (const space of this.#state.within(this.#path)) {
      for (const entry of space.entries.values()) {
        if (now >= entry.expiresAt) {
          this.#state.remove(entry);
          removed++;
        }
      }
    }
    return removed;
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    const now = this.#state.now();
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs;
    this.#state.write({ value, expiresAt, key, space: this.#space }, now);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    const now = this.#state.now();
    const entry = this.#state.live(this.#space, key, now);
    if (entry === undefined) return null;
    if (renewMs !== undefined && entry.expiresAt !== Number.POSITIVE_INFINITY) {
      entry.expiresAt = now + renewMs;
    }
    this.#state.touch(entry);
    return copyBytes(entry.value);
  }

  protected async doDelete(key: string): Promise<void> {
    const entry = this.#space.entries.get(key);
    if (entry !== undefined) this.#state.remove(entry);
  }

  protected async doDeleteAll(): Promise<void> {
    for (const space of this.#state.within(this.#path)) {
      if (this.#state.recency !== undefined) {
        for (const entry of space.entries.values()) this.#state.recency.delete(entry);
      }
      space.entries.clear();
      space.sweep = undefined;
    }
  }

  protected async doExists(key: string): Promise<boolean> {
    return this.#state.live(this.#space, key, this.#state.now()) !== undefined;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    const now = this.#state.now();
    const entry = this.#state.live(this.#space, key, now);
    return entry === undefined ? null : entry.expiresAt - now;
  }

  protected createNamespace(name: string): MemoryStore {
    const child = new MemoryStore();
    child.#state = this.#state;
    child.#path = this.#path + segment(name);
    child.#space = this.#state.space(child.#path);
    return child;
  }

  protected override async releaseResources(): Promise<void> {
    this.#state.spaces.clear();
    this.#state.recency?.clear();
  }
}
