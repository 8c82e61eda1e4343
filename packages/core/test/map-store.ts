import { BaseStore, type StoreCapabilities } from '../src/index.js';

/** A minimal BaseStore over a Map that records the hook calls, for testing BaseStore itself. */
export class MapStore extends BaseStore {
  readonly capabilities: StoreCapabilities = Object.freeze({
    persistent: false,
    shared: false,
    nativeExpiry: false,
    deleteExpired: false,
  });
  readonly calls: string[] = [];
  released = 0;
  #data = new Map<string, { value: Uint8Array; ttlMs: number | undefined }>();
  #prefix = '';

  protected async doSet(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void> {
    this.calls.push(`set:${key}:${ttlMs}`);
    this.#data.set(this.#prefix + key, { value, ttlMs });
  }
  protected async doGet(key: string, renewMs: number | undefined): Promise<Uint8Array | null> {
    this.calls.push(`get:${key}:${renewMs}`);
    return this.#data.get(this.#prefix + key)?.value ?? null;
  }
  protected async doDelete(key: string): Promise<boolean> {
    return this.#data.delete(this.#prefix + key);
  }
  protected async doSetIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    if (this.#data.has(this.#prefix + key)) return false;
    this.#data.set(this.#prefix + key, { value, ttlMs: undefined });
    return true;
  }
  protected async doIncrement(key: string, by: number, ttlMs: number | undefined): Promise<number> {
    this.calls.push(`increment:${key}:${by}:${ttlMs}`);
    return by;
  }
  protected async doTouch(key: string, ttlMs: number): Promise<boolean> {
    this.calls.push(`touch:${key}:${ttlMs}`);
    return this.#data.has(this.#prefix + key);
  }
  protected async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    for (const key of this.#data.keys()) {
      if (key.startsWith(this.#prefix + (prefix ?? ''))) yield key.slice(this.#prefix.length);
    }
  }
  protected async doDeleteAll(): Promise<void> {
    this.#data.clear();
  }
  protected async doExists(key: string): Promise<boolean> {
    return this.#data.has(this.#prefix + key);
  }
  protected async doExpiresIn(key: string): Promise<number | null> {
    const entry = this.#data.get(this.#prefix + key);
    return entry === undefined ? null : (entry.ttlMs ?? Number.POSITIVE_INFINITY);
  }
  protected createNamespace(name: string): MapStore {
    const child = new MapStore();
    child.#data = this.#data;
    child.#prefix = `${this.#prefix}${name.length}:${name}|`;
    return child;
  }
  protected override async releaseResources(): Promise<void> {
    this.released++;
  }
}
