import {
  assertKey,
  describe,
  parseCounter,
  resolveStore as resolveSource,
  type Store,
  StoreError,
  type StoreSource,
} from '@stores/core';
import { KnownWindows } from './known-windows.js';

/** The store name a limiter resolves through a registry unless told another: the @stores convention. */
export const DEFAULT_STORE_NAME = 'rate_limit';

/** Where a limiter keeps its counters: `store`, or `registry` and the store's `name` (default `'rate_limit'`). */
export type { StoreSource } from '@stores/core';

/** The store `source` names (see core's `resolveStore`), which must have `increment()`. */
export function resolveStore(source: StoreSource, where: string): Store {
  const store = resolveSource(source, where, DEFAULT_STORE_NAME);
  // A Store of contract v1 (no increment) would fail on the first hit instead of here.
  if (typeof store.increment !== 'function') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} needs a Store with increment() (@stores/core 0.2 or later), got ${describe(store)}`,
    );
  }
  return store;
}

/** Throws `STORE_INVALID_ARGUMENT` unless `prefix` is a well-formed string. */
export function assertPrefix(prefix: unknown, option: string, where: string): string {
  if (typeof prefix !== 'string' || !prefix.isWellFormed()) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${where} option '${option}' must be a string without lone surrogates, got ${describe(prefix)}`,
    );
  }
  return prefix;
}

/** One id's window as the counter sees it. */
export interface WindowState {
  /** Hits counted in the current window (this one included, for `hit`); 0 without a window. */
  readonly hits: number;
  /** Seconds until the window ends and the count starts again; 0 without a window. */
  readonly resetIn: number;
}

const NO_WINDOW: WindowState = Object.freeze({ hits: 0, resetIn: 0 });

// Enough for the busy ids of one process; about 100 bytes each.
const KNOWN_WINDOWS = 10_000;

/**
 * A fixed-window counter per id on any `Store`, exact across every process sharing the store:
 * the count is one atomic `increment` whose `expiresIn` applies only when it creates the
 * entry, so the first hit opens the window and no read-modify-write race exists.
 */
export class FixedWindow {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #windowMs: number;
  readonly #known = new KnownWindows(KNOWN_WINDOWS);
  #refunds: boolean;

  /**
   * A counter in `store` under `prefix + id`, with windows of `windowMs` (whole ms, > 0);
   * `refunds`: hits may be taken back (see `refund`).
   */
  constructor(store: Store, prefix: string, windowMs: number, refunds = false) {
    this.#store = store;
    this.#prefix = prefix;
    this.#windowMs = windowMs;
    this.#refunds = refunds;
  }

  /** The window length in seconds. */
  get windowSec(): number {
    return this.#windowMs / 1000;
  }

  /**
   * Counts one hit of `id` (opening a window if none is open) and returns the window after it.
   * The count decides admission and is always the store's. The window's end is read once per
   * window and process, then remembered between clock readings taken before and after the
   * operation that learned it: `resetIn` never says the window ends earlier than it does.
   */
  async hit(id: string): Promise<WindowState> {
    const key = this.#key(id);
    const before = Date.now();
    const hits = await this.#store.increment(key, { expiresIn: this.windowSec });
    const now = Date.now();
    const known = this.#known.lookup(key, hits, now);
    if (known !== undefined) return { hits, resetIn: (known.endsBy - now) / 1000 };
    // Without refunds, count 1 means this hit opened the window; with them, a window may be
    // back at 0 and older than that.
    if (hits === 1 && !this.#refunds) {
      this.#known.learn(key, before + this.#windowMs, now + this.#windowMs, hits);
      return { hits, resetIn: this.windowSec };
    }
    return { hits, resetIn: await this.#resetIn(key, hits) };
  }

  /** The current window of `id` without counting a hit. */
  async peek(id: string): Promise<WindowState> {
    const key = this.#key(id);
    const bytes = await this.#store.get(key);
    if (bytes === null) return NO_WINDOW;
    // The same reading `increment` applies, so a foreign value fails here as it would there.
    const hits = parseCounter(bytes);
    const resetIn = await this.#resetIn(key);
    return resetIn === 0 ? NO_WINDOW : { hits, resetIn };
  }

  /** Takes back one hit of `id`; a refund after the window ended cannot open a new one. */
  async refund(id: string): Promise<void> {
    this.#refunds = true;
    // No conditional decrement exists: if the window is gone, this creates a -1 entry, so give
    // it the shortest life there is instead of letting it credit a later window.
    await this.#store.increment(this.#key(id), { by: -1, expiresIn: 0.001 });
  }

  /** Ends the window of `id`; true if one was open. */
  reset(id: string): Promise<boolean> {
    const key = this.#key(id);
    this.#known.forget(key);
    return this.#store.delete(key);
  }

  #key(id: string): string {
    // Checked apart from the prefix: two lone surrogates could join into one valid key.
    assertKey(id);
    return this.#prefix + id;
  }

  /**
   * Seconds left in the window of `key`; 0 if it just ended. With `hits`, remembers the end for
   * later hits. A counter without expiry (a foreign write) would limit forever, so it gets one
   * now: the count stays, only the window's end is set, so no hit is admitted twice.
   */
  async #resetIn(key: string, hits?: number): Promise<number> {
    const before = Date.now();
    let left = await this.#store.expiresIn(key);
    if (left === null) return 0;
    if (left === Number.POSITIVE_INFINITY) {
      await this.#store.touch(key, { expiresIn: this.windowSec });
      left = this.windowSec;
    }
    if (hits !== undefined) {
      const leftMs = left * 1000;
      this.#known.learn(key, before + leftMs, Date.now() + leftMs, hits);
    }
    return left;
  }
}
