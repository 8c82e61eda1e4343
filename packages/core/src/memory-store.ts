import { BaseStore } from './base-store.js';
import { StoreError } from './errors.js';
import type { StoreCapabilities } from './types.js';

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
  value: Uint8Array;
  /** ms since the epoch; `Infinity` when the entry never expires. */
  expiresAt: number;
}

// Expired entries are swept a few per write, so no timer per key and no pause for a full scan.
const SWEEP_PER_WRITE = 4;

/** The state a root store and all its namespaces share. */
class MemoryState {
  readonly entries = new Map<string, Entry>();
  readonly maxEntries: number;
  readonly now: () => number;
  #sweep: Iterator<[string, Entry]> | undefined;

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
    this.now = now;
  }

  /** The live entry under `id`, dropping it if its time has come (`now >= expiresAt`). */
  live(id: string, now: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Marks `id` most recently used; only bounded stores pay for the bookkeeping. */
  touch(id: string, entry: Entry): void {
    if (this.maxEntries === Number.POSITIVE_INFINITY) return;
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  /** Stores `entry` as the most recently used, sweeps a few expired ones, enforces the bound. */
  write(id: string, entry: Entry, now: number): void {
    this.entries.delete(id); // re-insert: a write makes the entry the most recently used
    this.entries.set(id, entry);
    this.#sweepSome(now);
    // Map iteration order is insertion order, so the first keys are the least recently used.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Removes expired entries whose id starts with `prefix`; returns how many. */
  deleteExpired(prefix: string): number {
    const now = this.now();
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (id.startsWith(prefix) && now >= entry.expiresAt) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  #sweepSome(now: number): void {
    for (let i = 0; i < SWEEP_PER_WRITE; i++) {
      this.#sweep ??= this.entries.entries();
      const next = this.#sweep.next();
      if (next.done === true) {
        this.#sweep = undefined;
        return;
      }
      // Deleting the current entry while iterating a Map is safe and visits the rest.
      if (now >= next.value[1].expiresAt) this.entries.delete(next.value[0]);
    }
  }
}

/**
 * Encodes one namespace name so that the concatenation of a path's encodings is injective:
 * `<length>:<name>`, followed by `|` before the key. No entry id of one namespace can start
 * with another namespace's prefix unless that namespace is its ancestor.
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
  #prefix = '';

  /** Creates an empty root store. */
  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.#state = new MemoryState(options);
  }

  /** Removes the expired entries of this namespace and those below it; resolves to how many. */
  async deleteExpired(): Promise<number> {
    this.assertOpen();
    return this.#state.deleteExpired(this.#prefix);
  }

  #id(key: string): string {
    return `${this.#prefix}|${key}`;
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    const now = this.#state.now();
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs;
    this.#state.write(this.#id(key), { value, expiresAt }, now);
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    const id = this.#id(key);
    const now = this.#state.now();
    const entry = this.#state.live(id, now);
    if (entry === undefined) return null;
    if (renewMs !== undefined && entry.expiresAt !== Number.POSITIVE_INFINITY) {
      entry.expiresAt = now + renewMs;
    }
    this.#state.touch(id, entry);
    return new Uint8Array(entry.value);
  }

  protected async doDelete(key: string): Promise<void> {
    this.#state.entries.delete(this.#id(key));
  }

  protected async doDeleteAll(): Promise<void> {
    const entries = this.#state.entries;
    if (this.#prefix === '') return entries.clear();
    for (const id of entries.keys()) if (id.startsWith(this.#prefix)) entries.delete(id);
  }

  protected async doExists(key: string): Promise<boolean> {
    return this.#state.live(this.#id(key), this.#state.now()) !== undefined;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    const now = this.#state.now();
    const entry = this.#state.live(this.#id(key), now);
    return entry === undefined ? null : entry.expiresAt - now;
  }

  protected createNamespace(name: string): MemoryStore {
    const child = new MemoryStore();
    child.#state = this.#state;
    child.#prefix = this.#prefix + segment(name);
    return child;
  }

  protected override async releaseResources(): Promise<void> {
    this.#state.entries.clear();
  }
}
