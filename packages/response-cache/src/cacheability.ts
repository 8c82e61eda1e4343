import type { CacheRequest } from './cache-key.js';
import type { HeaderLine } from './envelope.js';

/** Decides by status (and request) whether a response may be stored; the fixed rules still apply. */
export type CacheFilter = (status: number, request: CacheRequest) => boolean;

/** The default filter, as the model's: every 2xx but 206 (a partial body), and 301 and 308. */
export function defaultFilter(status: number): boolean {
  return (status >= 200 && status < 300 && status !== 206) || status === 301 || status === 308;
}

/** The response header the cache marks every GET and HEAD response with: `HIT` or `MISS`. */
export const CACHE_STATUS_HEADER = 'x-cache';

// Hop-by-hop headers describe one connection, not the response (RFC 9110 §7.6.1).
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  CACHE_STATUS_HEADER,
]);

/** The header lines worth storing: lower-case names, in order, without hop-by-hop headers. */
export function storedLines(lines: Iterable<readonly [string, string]>): HeaderLine[] {
  const kept: HeaderLine[] = [];
  for (const [name, value] of lines) {
    const lower = name.toLowerCase();
    if (!NOT_STORED.has(lower)) kept.push([lower, value]);
  }
  return kept;
}

// `no-cache` too: it forbids answering from the cache without revalidation, which this cache
// cannot do.
const FORBIDDING = new Set(['no-store', 'private', 'no-cache']);

/**
 * The header names the response varies by (lower-case, sorted, unique) if it may be stored,
 * else undefined: the filter must pass it, and it must not set a cookie, say `Cache-Control:
 * no-store`, `private` or `no-cache`, or `Vary: *`. A response to a request with `Authorization`
 * is stored only if it says `Cache-Control: public` (another user must not get it).
 */
export function storableVary(
  status: number,
  lines: readonly HeaderLine[],
  request: CacheRequest,
  filter: CacheFilter,
): string[] | undefined {
  if (status < 200 || status > 599 || !filter(status, request)) return undefined;
  const vary = new Set<string>();
  let isPublic = false;
  for (const [name, value] of lines) {
    if (name === 'set-cookie') return undefined;
    if (name === 'cache-control') {
      for (const directive of listOf(value)) {
        const directiveName = (directive.split('=', 1)[0] ?? '').trim();
        if (FORBIDDING.has(directiveName)) return undefined;
        if (directiveName === 'public') isPublic = true;
      }
    }
    if (name === 'vary') {
      for (const field of listOf(value)) {
        if (field === '*') return undefined;
        vary.add(field);
      }
    }
  }
  if (!isPublic && request.header('authorization') !== undefined) return undefined;
  return [...vary].sort();
}

function listOf(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}
