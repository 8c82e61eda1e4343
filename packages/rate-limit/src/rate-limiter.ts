import { describe, durationToMs, readOptions, StoreError } from '@stores/core';
import { assertPrefix, FixedWindow, resolveStore, type StoreSource } from './fixed-window.js';

/** Options of `RateLimiter`: `store` or `registry` (+ `name`), and the policy. */
export interface RateLimiterOptions extends StoreSource {
  /** Hits admitted per id and window: a positive safe integer. Required. */
  limit: number;
  /** The window's length in seconds, from an id's first hit (fractions allowed, 1 ms resolution). Required. */
  windowSec: number;
  /** Prepended to every id to form its key; give limiters that share a store distinct ones. Default `''`. */
  keyPrefix?: string;
}

/** What one id may still do in its current window. */
export interface RateLimitResult {
  /** `hit`: whether this hit is admitted. `get`: whether a hit now would be. */
  readonly allowed: boolean;
  /** The limit per window. */
  readonly limit: number;
  /** Hits the window admits after this one (`hit`) or from now (`get`); never negative. */
  readonly remaining: number;
  /** Seconds until the window ends and the count starts again; 0 when no window is open. */
  readonly resetIn: number;
}

const OPTIONS = ['store', 'registry', 'name', 'limit', 'windowSec', 'keyPrefix'] as const;

/**
 * A fixed-window rate limiter on any `Store`: each id's first hit opens a window of
 * `windowSec`, and the window admits exactly `limit` hits in total across every process
 * sharing the store, because each hit is one atomic `increment`.
 */
export class RateLimiter {
  readonly #window: FixedWindow;
  readonly #limit: number;

  /** Checks every option (unknown ones included) and throws `STORE_INVALID_ARGUMENT` naming the bad one. */
  constructor(options: RateLimiterOptions) {
    const where = 'new RateLimiter()';
    const {
      limit,
      windowSec,
      keyPrefix = '',
      ...source
    } = readOptions<RateLimiterOptions>(options, where, OPTIONS);
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `${where} option 'limit' must be a positive integer (hits per window), got ${describe(limit)}`,
      );
    }
    this.#window = new FixedWindow(
      resolveStore(source, where),
      assertPrefix(keyPrefix, 'keyPrefix', where),
      durationToMs(windowSec, `${where} option 'windowSec'`),
    );
    this.#limit = limit;
  }

  /** The limit per window. */
  get limit(): number {
    return this.#limit;
  }

  /** The window's length in seconds. */
  get windowSec(): number {
    return this.#window.windowSec;
  }

  /** Counts a hit of `id` and says whether it is admitted; exact across processes. */
  async hit(id: string): Promise<RateLimitResult> {
    const { hits, resetIn } = await this.#window.hit(id);
    return this.#result(hits <= this.#limit, hits, resetIn);
  }

  /** The state of `id`'s window without counting a hit. */
  async get(id: string): Promise<RateLimitResult> {
    const { hits, resetIn } = await this.#window.peek(id);
    return this.#result(hits < this.#limit, hits, resetIn);
  }

  /** Ends `id`'s window, so its next hit opens a new one; true if a window was open. */
  reset(id: string): Promise<boolean> {
    return this.#window.reset(id);
  }

  #result(allowed: boolean, hits: number, resetIn: number): RateLimitResult {
    return { allowed, limit: this.#limit, remaining: Math.max(0, this.#limit - hits), resetIn };
  }
}
