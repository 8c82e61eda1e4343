/** What a key builder and a filter see of a request, the same under Express and fetch servers. */
export interface CacheRequest {
  /** The request method as received: `GET` or `HEAD` (no other method is ever looked up). */
  readonly method: string;
  /** The request target's path as received, before any `?` (not percent-decoded), e.g. `/a%20b`. */
  readonly path: string;
  /** The raw query string after the first `?`, without it; `''` when there is none. */
  readonly query: string;
  /** A request header's value (any case of `name`), repeated headers joined by `, `; else undefined. */
  header(name: string): string | undefined;
}

/**
 * Maps a request to the key of its entry. It is called for GET and HEAD requests, and must
 * give both the same key for the same resource (a HEAD request is answered from the GET entry).
 */
export type KeyBuilder = (request: CacheRequest) => string;

/**
 * The default key: `GET`, a space, the path, `?`, then the query's `&`-separated parameters
 * sorted by name (a stable sort: repeated names keep their order), exactly as received, e.g.
 * `GET /search?a=1&q=x&q=y`. Injective: the method has no space, the path no `?`, and no
 * parameter holds a `&`, so `GET /a` + `b=c` (`GET /a?b=c`) and `GET /ab=c` (`GET /ab=c?`) differ.
 */
export function defaultKeyBuilder(request: CacheRequest): string {
  const parameters = request.query.split('&').filter((parameter) => parameter !== '');
  const named = parameters.map((parameter) => ({ parameter, name: nameOf(parameter) }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `GET ${request.path}?${named.map(({ parameter }) => parameter).join('&')}`;
}

function nameOf(parameter: string): string {
  const equals = parameter.indexOf('=');
  return equals === -1 ? parameter : parameter.slice(0, equals);
}

/**
 * The key of one variant of a response that says `Vary: names`, in the cache's `variants`
 * namespace: a JSON array (an injective encoding of strings) of the base key and the request's
 * value of each named header, `null` for an absent one (so `a, b` + absent never meets `a` + `b`).
 */
export function variantKey(
  baseKey: string,
  names: readonly string[],
  request: CacheRequest,
): string {
  return JSON.stringify([baseKey, ...names.map((name) => [name, request.header(name) ?? null])]);
}
