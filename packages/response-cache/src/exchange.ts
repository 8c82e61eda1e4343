import type { CacheRequest } from './cache-key.js';
import type { HeaderLine, StoredResponse } from './envelope.js';

/**
 * Collects the response a handler produces for the cache. The framework adapter calls
 * `accepts` once the status and headers are final, then `finish` with the whole body, or
 * `finish(undefined)` if the response could not be collected (the handler failed, the client
 * went away). Both are safe to call again: only the first outcome counts.
 */
export interface ResponseSink {
  /** False if this response is not stored (then the body need not be collected). */
  accepts(status: number, lines: readonly HeaderLine[]): boolean;
  finish(body: Uint8Array | undefined): void;
}

/** One request, as a framework adapter hands it to the cache; `R` is what the adapter returns. */
export interface Exchange<R> {
  readonly request: CacheRequest;
  /** Runs the handler untouched (a method the cache never serves). */
  pass(): R | Promise<R>;
  /** Answers with a stored response, marked `x-cache: HIT` (no body for HEAD). */
  replay(response: StoredResponse): R;
  /** Runs the handler, marks its response `x-cache: MISS`, and reports it to `sink` if given. */
  compute(sink: ResponseSink | undefined): R | Promise<R>;
}

/** The cache's handling of one request, bound to a route's options. */
export type Serve = <R>(exchange: Exchange<R>) => Promise<R>;
