// A complete third-party backend in plain JavaScript: every entry of a root store and all its
// namespaces in one Map, keyed by the namespace path and the key. It shows what a backend
// author writes — the BaseStore hooks, nothing else — and `stores-conformance` proves it:
//   npx stores-conformance ./src/map-store.js
import {
  addToCounter,
  BaseStore,
  formatCounter,
  parseCounter,
  readOptions,
  StoreError,
} from '@stores/core';

const CAPABILITIES = Object.freeze({
  persistent: false,
  shared: false,
  nativeExpiry: false,
  deleteExpired: false,
});

/** An in-memory store over one Map; namespaces share it (and its clock) with their root. */
export class MapStore extends BaseStore {
  capabilities = CAPABILITIES;
  // What a root and its namespaces share: a child gets the root's, never a new one.
  #shared;
  #path;

  constructor(options = {}) {
    super();
    // Constructors check their options like the contract's methods do.
    const { now = Date.now } = readOptions(options, 'new MapStore()', ['now']);
    if (typeof now !== 'function') {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'now must be a function returning ms');
    }
    this.#shared = { entries: new Map(), now };
    this.#path = [];
  }

  // JSON of [...path, key] is injective, and a namespace's prefix `["a",` starts exactly the
  // entries of that namespace and those below it (a sibling "ab" is `["ab",`).
  #id(key) {
    return JSON.stringify([...this.#path, key]);
  }

  #prefix() {
    return JSON.stringify(this.#path).slice(0, -1) + (this.#path.length > 0 ? ',' : '');
  }

  // The live entry of `id`; an expired one is removed on the way (`now >= expiresAt`: gone).
  #live(id) {
    const entry = this.#shared.entries.get(id);
    if (entry === undefined || this.#shared.now() < entry.expiresAt) return entry;
    this.#shared.entries.delete(id);
    return undefined;
  }

  #expiresAt(ttlMs) {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#shared.now() + ttlMs;
  }

  // Hooks get valid arguments: keys are strings, values private copies, durations whole ms.
  async doSet(key, value, ttlMs) {
    this.#shared.entries.set(this.#id(key), { value, expiresAt: this.#expiresAt(ttlMs) });
  }

  async doGet(key, renewMs) {
    const entry = this.#live(this.#id(key));
    if (entry === undefined) return null;
    if (renewMs !== undefined && entry.expiresAt !== Number.POSITIVE_INFINITY) {
      entry.expiresAt = this.#shared.now() + renewMs;
    }
    return entry.value.slice(); // a fresh copy: callers may mutate what they get
  }

  async doDelete(key) {
    const found = this.#live(this.#id(key)) !== undefined;
    this.#shared.entries.delete(this.#id(key));
    return found;
  }

  async doDeleteAll() {
    const prefix = this.#prefix();
    for (const id of this.#shared.entries.keys()) {
      if (id.startsWith(prefix)) this.#shared.entries.delete(id);
    }
  }

  async doExists(key) {
    return this.#live(this.#id(key)) !== undefined;
  }

  async doExpiresIn(key) {
    const entry = this.#live(this.#id(key));
    return entry === undefined ? null : entry.expiresAt - this.#shared.now();
  }

  // Each hook below runs without an await between its read and its write: atomic in one process.
  async doSetIfAbsent(key, value, ttlMs) {
    if (this.#live(this.#id(key)) !== undefined) return false;
    await this.doSet(key, value, ttlMs);
    return true;
  }

  async doIncrement(key, by, ttlMs) {
    const entry = this.#live(this.#id(key));
    // parseCounter/addToCounter throw the contract's errors before anything changes.
    const result = addToCounter(entry === undefined ? 0 : parseCounter(entry.value), by);
    if (entry === undefined) {
      this.#shared.entries.set(this.#id(key), {
        value: formatCounter(result),
        expiresAt: this.#expiresAt(ttlMs),
      });
    } else {
      entry.value = formatCounter(result); // an existing entry keeps its expiry
    }
    return result;
  }

  async doTouch(key, ttlMs) {
    const entry = this.#live(this.#id(key));
    if (entry === undefined) return false;
    entry.expiresAt = this.#shared.now() + ttlMs;
    return true;
  }

  async *doKeys(prefix) {
    const depth = this.#path.length + 1;
    const own = this.#prefix();
    for (const [id, entry] of this.#shared.entries) {
      if (!id.startsWith(own) || this.#shared.now() >= entry.expiresAt) continue;
      const parts = JSON.parse(id);
      const key = parts[depth - 1];
      // Only this namespace's own keys: a child namespace's entries have a longer path.
      if (parts.length === depth && (prefix === undefined || key.startsWith(prefix))) yield key;
    }
  }

  createNamespace(name) {
    const child = new MapStore();
    child.#shared = this.#shared;
    child.#path = [...this.#path, name];
    return child;
  }

  async releaseResources() {
    this.#shared.entries.clear();
  }
}

/** What `stores-conformance` calls for each case: a fresh, isolated store. */
export function createStore() {
  return new MapStore();
}
