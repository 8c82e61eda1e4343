import {
  assertKey,
  describe,
  durationToMs,
  readOptions,
  resolveStore,
  type SetOptions,
  type Store,
  StoreError,
  type StoreRegistry,
} from '@stores/core';
import { type CacheRequest, defaultKeyBuilder, type KeyBuilder, variantKey } from './cache-key.js';
import { type CacheFilter, defaultFilter, storableVary } from './cacheability.js';
import {
  decodeEntry,
  type Entry,
  encodeResponse,
  encodeVary,
  type HeaderLine,
  type StoredResponse,
} from './envelope.js';
import type { Exchange, ResponseSink, Serve } from './exchange.js';
import { type ExpressMiddleware, expressMiddleware } from './express.js';
import { type FetchHandler, fetchHandler, type HonoMiddleware, honoMiddleware } from './fetch.js';

/** The registry name the cache takes its store by when given a registry and no `name`. */
export const DEFAULT_STORE_NAME = 'response_cache';

/** Options of `new ResponseCache()`: `store` or `registry`, and the defaults of every route. */
export interface ResponseCacheOptions {
  /** The store to keep entries in (never closed by the cache). Not together with `registry`. */
  store?: Store;
  /** A registry to take the store from by `name` (never closed by the cache). Not with `store`. */
  registry?: Pick<StoreRegistry, 'get'>;
  /** The store's name in `registry`. Default `'response_cache'`. */
  name?: string;
  /** Seconds an entry lives, unless a route says otherwise; `null`: no expiry. Default `60`. */
  defaultExpiration?: number | null;
  /** Maps a request to its entry's key. Default `defaultKeyBuilder`. */
  keyBuilder?: KeyBuilder;
  /** Decides by status whether a response may be stored. Default `defaultFilter`. */
  filter?: CacheFilter;
  /**
   * Receives a failure to store a response, after that response was sent (a failure to read
   * fails the request instead). Default: `console.error`.
   */
  onError?: (error: unknown) => void;
}

/** Options of one cached route (`express()`, `fetch()`, `hono()`); absent ones are the cache's. */
export interface CacheRouteOptions {
  /** Seconds this route's entries live; `null`: no expiry. */
  expiresIn?: number | null;
  /** Maps a request to its entry's key. */
  keyBuilder?: KeyBuilder;
  /** Decides by status whether a response may be stored. */
  filter?: CacheFilter;
}

interface Route {
  readonly expiresIn: number | null;
  readonly keyBuilder: KeyBuilder;
  readonly filter: CacheFilter;
}

/** A computed response as requests waiting on the same key receive it. */
interface Shared {
  readonly response: StoredResponse;
  readonly vary: readonly string[];
  /** Who may have it: the key of the variant the response was stored as. */
  readonly variantKey: string;
}

const CACHE_OPTIONS = [
  'store',
  'registry',
  'name',
  'defaultExpiration',
  'keyBuilder',
  'filter',
  'onError',
] as const;
const ROUTE_OPTIONS = ['expiresIn', 'keyBuilder', 'filter'] as const;

/**
 * An HTTP response cache on any `Store`: Express middleware (`express()`), a fetch-handler
 * wrapper (`fetch()`) and Hono middleware (`hono()`). It serves GET (and HEAD from GET
 * entries), stores only what the rules allow, replays status, headers and body byte-exact, and
 * computes concurrent misses of one key in this process once.
 */
export class ResponseCache {
  readonly #store: Store;
  #variants: Store | undefined;
  readonly #defaults: Route;
  readonly #onError: (error: unknown) => void;
  readonly #flights = new Map<string, Promise<Shared | undefined>>();

  /** Takes the store (`store`, or `registry.get(name)`) and checks every option. */
  constructor(options: ResponseCacheOptions) {
    const where = 'new ResponseCache()';
    const read = readOptions<ResponseCacheOptions>(options, where, CACHE_OPTIONS);
    this.#store = resolveStore(read, where, DEFAULT_STORE_NAME);
    this.#defaults = {
      expiresIn: readExpiry(read.defaultExpiration, 'defaultExpiration', 60),
      keyBuilder: readFunction(read.keyBuilder, 'keyBuilder') ?? defaultKeyBuilder,
      filter: readFunction(read.filter, 'filter') ?? defaultFilter,
    };
    this.#onError = readFunction(read.onError, 'onError') ?? logStoreError;
  }

  /** Express/Connect middleware caching the routes it is mounted on. */
  express(options?: CacheRouteOptions): ExpressMiddleware {
    return expressMiddleware(this.#serve(options, 'express()'));
  }

  /** Wraps a fetch-API handler (`serve({ fetch: cache.fetch(app.fetch) })` under Hono). */
  fetch<A extends unknown[]>(
    handler: FetchHandler<A>,
    options?: CacheRouteOptions,
  ): (request: Request, ...args: A) => Promise<Response> {
    readFunction(handler, 'fetch() handler');
    return fetchHandler(this.#serve(options, 'fetch()'), handler);
  }

  /** Hono middleware caching the routes it is mounted on (`app.get(path, cache.hono(), ...)`). */
  hono(options?: CacheRouteOptions): HonoMiddleware {
    return honoMiddleware(this.#serve(options, 'hono()'));
  }

  #serve(options: CacheRouteOptions | undefined, where: string): Serve {
    const read = readOptions<CacheRouteOptions>(options, where, ROUTE_OPTIONS);
    const route: Route = {
      expiresIn: readExpiry(read.expiresIn, 'expiresIn', this.#defaults.expiresIn),
      keyBuilder: readFunction(read.keyBuilder, 'keyBuilder') ?? this.#defaults.keyBuilder,
      filter: readFunction(read.filter, 'filter') ?? this.#defaults.filter,
    };
    return <R>(exchange: Exchange<R>) => this.#handle(route, exchange);
  }

  async #handle<R>(route: Route, exchange: Exchange<R>): Promise<R> {
    const { request } = exchange;
    if (request.method !== 'GET' && request.method !== 'HEAD') return exchange.pass();
    const baseKey = route.keyBuilder(request);
    assertKey(baseKey);
    const { flightKey, before, response } = await this.#read(baseKey, request);
    if (response !== undefined) return exchange.replay(response);
    // Looked up here, not in #read: between the last lookup and the #sink below nothing
    // awaits, so of concurrent misses of one key exactly one finds no computation and starts one.
    let leads: string | undefined = flightKey;
    let flight = this.#flights.get(flightKey) ?? before;
    for (let round = 0; flight !== undefined; round++) {
      const shared = await flight;
      if (shared === undefined) {
        // A computation that failed or may not be stored is not handed on: each waiter
        // computes its own response, as it would have without the cache.
        leads = undefined;
        break;
      }
      const mine = variantKey(baseKey, shared.vary, request);
      if (shared.variantKey === mine) return exchange.replay(shared.response);
      // Another variant's response: this variant's misses go by its own key, so that they too
      // compute once (one such round; a second mismatch computes alone).
      leads = round === 0 ? `variant:${mine}` : undefined;
      flight = leads === undefined ? undefined : this.#flights.get(leads);
    }
    // HEAD is answered from GET entries only: a HEAD response has no body to store.
    if (request.method === 'HEAD') return exchange.compute(undefined);
    return exchange.compute(this.#sink(route, baseKey, request, leads));
  }

  /**
   * The stored response for `request`, else the key its computation goes by, and the
   * computation under way under that key when the read began (it may land while a backend
   * whose reads and writes overlap still answers the read from the old entry).
   */
  async #read(
    baseKey: string,
    request: CacheRequest,
  ): Promise<{
    flightKey: string;
    before: Promise<Shared | undefined> | undefined;
    response: StoredResponse | undefined;
  }> {
    let flightKey = `base:${baseKey}`;
    let before = this.#flights.get(flightKey);
    let entry = decoded(await this.#store.get(baseKey));
    if (entry?.kind === 'vary') {
      const key = variantKey(baseKey, entry.names, request);
      flightKey = `variant:${key}`;
      before = this.#flights.get(flightKey);
      entry = decoded(await this.#variantStore().get(key));
    }
    return { flightKey, before, response: entry?.kind === 'response' ? entry.response : undefined };
  }

  /** Collects a computed response, shares it with waiters of `flightKey`, and stores it. */
  #sink(
    route: Route,
    baseKey: string,
    request: CacheRequest,
    flightKey: string | undefined,
  ): ResponseSink {
    let share: (shared: Shared | undefined) => void = () => {};
    const flight = new Promise<Shared | undefined>((resolve) => {
      share = resolve;
    });
    if (flightKey !== undefined) this.#flights.set(flightKey, flight);
    const land = (): void => {
      if (flightKey !== undefined && this.#flights.get(flightKey) === flight) {
        this.#flights.delete(flightKey);
      }
    };
    let head: { status: number; lines: readonly HeaderLine[]; vary: string[] } | undefined;
    let settled = false;
    const give = (body: Uint8Array | undefined): void => {
      if (settled) return;
      settled = true;
      if (body === undefined || head === undefined) {
        share(undefined);
        land();
        return;
      }
      const response: StoredResponse = { status: head.status, headers: head.lines, body };
      const shared = {
        response,
        vary: head.vary,
        variantKey: variantKey(baseKey, head.vary, request),
      };
      share(shared);
      // The flight stays until the write lands, so a request in between is served from memory.
      this.#write(route, baseKey, shared).then(undefined, this.#onError).finally(land);
    };
    return {
      accepts: (status, lines) => {
        if (!settled && head === undefined) {
          const vary = storableVary(status, lines, request, route.filter);
          if (vary === undefined) give(undefined);
          else head = { status, lines, vary };
        }
        return head !== undefined && !settled;
      },
      finish: give,
    };
  }

  async #write(route: Route, baseKey: string, shared: Shared): Promise<void> {
    const bytes = encodeResponse(shared.response);
    if (bytes === undefined) return;
    const options: SetOptions = route.expiresIn === null ? {} : { expiresIn: route.expiresIn };
    if (shared.vary.length === 0) {
      await this.#store.set(baseKey, bytes, options);
      return;
    }
    // The variant before the index, so a reader that finds the index finds the variant too.
    await this.#variantStore().set(shared.variantKey, bytes, options);
    await this.#store.set(baseKey, encodeVary(shared.vary), options);
  }

  #variantStore(): Store {
    this.#variants ??= this.#store.withNamespace('variants');
    return this.#variants;
  }
}

function decoded(bytes: Uint8Array | null): Entry | undefined {
  return bytes === null ? undefined : decodeEntry(bytes);
}

/** Seconds or `null` (no expiry), `fallback` when absent; anything else is STORE_INVALID_ARGUMENT. */
function readExpiry(value: unknown, name: string, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  durationToMs(value, `${name} (seconds, or null for no expiry)`);
  return value as number;
}

function readFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be a function, got ${describe(value)}`,
    );
  }
  return value;
}

function logStoreError(error: unknown): void {
  console.error('@stores/response-cache: a response could not be stored', error);
}
