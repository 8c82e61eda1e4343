import { describe, durationToMs, readOptions, type Store, StoreError } from '@stores/core';
import type {
  ClientRateLimitInfo,
  Store as ExpressRateLimitStore,
  IncrementResponse,
} from 'express-rate-limit';
import { assertPrefix, FixedWindow, resolveStore, type StoreSource } from './fixed-window.js';

/** Options of `RateLimitStore`: `store` or `registry` (+ `name`), and a key prefix. */
export interface RateLimitStoreOptions extends StoreSource {
  /** Prepended to every client key; give limiters that share a store distinct ones. Default `''`. */
  prefix?: string;
}

const OPTIONS = ['store', 'registry', 'name', 'prefix'] as const;

/**
 * An `express-rate-limit` store on any @stores `Store`: hits are counted by one atomic
 * `increment` per request, so every process sharing the store admits exactly `limit` per
 * window in total. The window (`windowMs`) comes from the middleware through `init`.
 */
export class RateLimitStore implements ExpressRateLimitStore {
  /** Prepended to every client key (express-rate-limit's double-count check reads it). */
  readonly prefix: string;
  /** Counts are shared by every process using the same store, never local to this one. */
  readonly localKeys: boolean = false;
  readonly #store: Store;
  #window: FixedWindow | undefined;

  /** Checks the options (unknown ones included) and throws `STORE_INVALID_ARGUMENT` naming the bad one. */
  constructor(options: RateLimitStoreOptions) {
    const where = 'new RateLimitStore()';
    const { prefix = '', ...source } = readOptions<RateLimitStoreOptions>(options, where, OPTIONS);
    this.prefix = assertPrefix(prefix, 'prefix', where);
    this.#store = resolveStore(source, where);
  }

  /**
   * Called by `rateLimit({ store })` with the middleware's options: the window is `windowMs`,
   * and `skip*Requests` say whether hits get refunded.
   */
  init(options: {
    windowMs: number;
    skipFailedRequests?: boolean;
    skipSuccessfulRequests?: boolean;
  }): void {
    const { windowMs, skipFailedRequests, skipSuccessfulRequests } = options;
    if (typeof windowMs !== 'number' || !(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `express-rate-limit option 'windowMs' must be a positive number of milliseconds, got ${describe(windowMs)}`,
      );
    }
    this.#window = new FixedWindow(
      this.#store,
      this.prefix,
      durationToMs(windowMs / 1000, "express-rate-limit option 'windowMs'"),
      skipFailedRequests === true || skipSuccessfulRequests === true,
    );
  }

  /** The client's hits and window end, without counting; `undefined` when no window is open. */
  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const { hits, resetIn } = await this.#ready().peek(key);
    return resetIn === 0 ? undefined : info(hits, resetIn);
  }

  /** Counts one hit and returns the window's hits so far and its end. */
  async increment(key: string): Promise<IncrementResponse> {
    const { hits, resetIn } = await this.#ready().hit(key);
    return info(hits, resetIn);
  }

  /** Takes back one hit (`skipSuccessfulRequests` / `skipFailedRequests`). */
  async decrement(key: string): Promise<void> {
    await this.#ready().refund(key);
  }

  /** Ends the client's window, so its next request opens a new one. */
  async resetKey(key: string): Promise<void> {
    await this.#ready().reset(key);
  }

  #ready(): FixedWindow {
    if (this.#window === undefined) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        'RateLimitStore has no window yet: pass it to rateLimit({ store }), which calls init()',
      );
    }
    return this.#window;
  }
}

function info(hits: number, resetIn: number): ClientRateLimitInfo {
  return { totalHits: hits, resetTime: new Date(Date.now() + resetIn * 1000) };
}
