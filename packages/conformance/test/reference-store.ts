import {
  addToCounter,
  BaseStore,
  formatCounter,
  parseCounter,
  type StoreCapabilities,
} from '@stores/core';

/** One stored value; `expiresAt` is ms since the epoch, `Infinity` for no expiry. */
export interface Entry {
  value: Uint8Array;
  expiresAt: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  persistent: false,
  shared: false,
  nativeExpiry: false,
  deleteExpired: true,
});

/**
 * The smallest store that keeps the whole contract, written for obviousness rather than speed:
 * an entry's id is the JSON of its namespace path plus key (injective by construction), and
 * deleteAll and keys compare parsed paths. Every hook finishes without awaiting, so each is
 * atomic. Fields are protected so the broken stores in broken-stores.ts can each bend one rule.
 */
export class ReferenceStore extends BaseStore {
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  protected readonly entries: Map<string, Entry>;
  protected readonly path: readonly string[];

  constructor(entries: Map<string, Entry> = new Map(), path: readonly string[] = []) {
    super();
    this.entries = entries;
    this.path = path;
  }

  /** Removes the expired entries of this namespace and those below it; resolves to how many. */
  async deleteExpired(): Promise<number> {
    this.assertOpen();
    let removed = 0;
    const now = Date.now();
    for (const [id, entry] of this.entries) {
      if (this.owns(id) && now >= entry.expiresAt) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  protected id(key: string): string {
    return JSON.stringify([...this.path, key]);
  }

  /** True if the entry `id` lives in this namespace or one below it. */
  protected owns(id: string): boolean {
    const parts = JSON.parse(id) as string[];
    return parts.length > this.path.length && this.path.every((name, i) => parts[i] === name);
  }

  /** The key of entry `id` if it lives in this very namespace (not one below it). */
  protected keyOf(id: string): string | undefined {
    const parts = JSON.parse(id) as string[];
    if (parts.length !== this.path.length + 1) return undefined;
    return this.path.every((name, i) => parts[i] === name) ? parts.at(-1) : undefined;
  }

  /** ms since the epoch when an entry written now with `ttlMs` expires. */
  protected expiry(ttlMs: number | undefined): number {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs;
  }

  /** The entry under `key` if it has not expired at `now` (inclusive boundary). */
  protected live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(this.id(key));
    return entry !== undefined && now < entry.expiresAt ? entry : undefined;
  }

  /** A store of the same class over the same entries at `path`. */
  protected at(path: readonly string[]): ReferenceStore {
    const Class = this.constructor as new (
      entries: Map<string, Entry>,
      path: readonly string[],
    ) => ReferenceStore;
    return new Class(this.entries, path);
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    this.entries.set(this.id(key), { value, expiresAt: this.expiry(ttlMs) });
  }

  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    const now = Date.now();
    const entry = this.live(key, now);
    if (entry === undefined) return null;
    if (renewMs !== undefined && entry.expiresAt !== Number.POSITIVE_INFINITY) {
      entry.expiresAt = now + renewMs;
    }
    return entry.value.slice();
  }

  protected async doDelete(key: string): Promise<boolean> {
    const live = this.live(key, Date.now()) !== undefined;
    this.entries.delete(this.id(key));
    return live;
  }

  protected async doDeleteAll(): Promise<void> {
    for (const id of this.entries.keys()) if (this.owns(id)) this.entries.delete(id);
  }

  protected async doExists(key: string): Promise<boolean> {
    return this.live(key, Date.now()) !== undefined;
  }

  protected async doExpiresIn(key: string): Promise<number | null> {
    const now = Date.now();
    const entry = this.live(key, now);
    return entry === undefined ? null : entry.expiresAt - now;
  }

  protected async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs: number | undefined,
  ): Promise<boolean> {
    if (this.live(key, Date.now()) !== undefined) return false;
    this.entries.set(this.id(key), { value, expiresAt: this.expiry(ttlMs) });
    return true;
  }

  protected async doIncrement(key: string, by: number, ttlMs: number | undefined): Promise<number> {
    const entry = this.live(key, Date.now());
    const result = addToCounter(entry === undefined ? 0 : parseCounter(entry.value), by);
    if (entry === undefined) {
      this.entries.set(this.id(key), {
        value: formatCounter(result),
        expiresAt: this.expiry(ttlMs),
      });
    } else {
      entry.value = formatCounter(result);
    }
    return result;
  }

  protected async doTouch(key: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(key, Date.now());
    if (entry !== undefined) entry.expiresAt = this.expiry(ttlMs);
    return entry !== undefined;
  }

  // A Map iterator survives entries being added and removed while the caller awaits, and a
  // key that is overwritten keeps its place: each key present throughout is yielded once.
  protected async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    for (const [id, entry] of this.entries) {
      const key = this.keyOf(id);
      if (key === undefined || Date.now() >= entry.expiresAt) continue;
      if (prefix === undefined || key.startsWith(prefix)) yield key;
    }
  }

  protected createNamespace(name: string): BaseStore {
    return this.at([...this.path, name]);
  }
}

/** The reference store as a CLI fixture factory. */
export function createStore(): ReferenceStore {
  return new ReferenceStore();
}
