import { describe, expect, it } from 'vitest';
import { storableVary } from '../src/cacheability.js';
import { type CacheRequest, defaultFilter } from '../src/index.js';

const anonymous: CacheRequest = { method: 'GET', path: '/', query: '', header: () => undefined };
const authorized: CacheRequest = {
  ...anonymous,
  header: (name) => (name === 'authorization' ? 'Bearer t' : undefined),
};

describe('defaultFilter()', () => {
  it('allows every 2xx but 206, and 301 and 308', () => {
    const allowed = Array.from({ length: 500 }, (_, i) => i + 100).filter((status) =>
      defaultFilter(status),
    );
    expect(allowed).toEqual([
      200,
      201,
      202,
      203,
      204,
      205,
      207,
      208,
      209,
      ...range(210, 299),
      301,
      308,
    ]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('storableVary()', () => {
  const vary = (lines: [string, string][], request = anonymous) =>
    storableVary(200, lines, request, defaultFilter);

  it('gives the Vary names lower-cased, unique and sorted', () => {
    expect(
      vary([
        ['vary', 'X-B, accept'],
        ['vary', 'x-b,Accept-Language'],
      ]),
    ).toEqual(['accept', 'accept-language', 'x-b']);
    expect(vary([])).toEqual([]);
  });

  it.each([
    ['set-cookie', 'a=b'],
    ['cache-control', 'no-store'],
    ['cache-control', 'public, PRIVATE'],
    ['cache-control', 'private = "x"'],
    ['cache-control', 'no-cache'],
    ['vary', '*'],
  ])('refuses %s: %s', (name, value) => {
    expect(vary([[name, value]])).toBeUndefined();
  });

  it('allows Cache-Control directives that only look alike', () => {
    expect(vary([['cache-control', 'max-age=60, x-private, no-transform']])).toEqual([]);
  });

  it('refuses a response to a request with Authorization unless it says public', () => {
    expect(vary([], authorized)).toBeUndefined();
    expect(vary([['cache-control', 'public, max-age=5']], authorized)).toEqual([]);
  });

  it('asks the filter, with the status and the request', () => {
    const seen: [number, CacheRequest][] = [];
    const filter = (status: number, request: CacheRequest): boolean => {
      seen.push([status, request]);
      return false;
    };
    expect(storableVary(200, [], anonymous, filter)).toBeUndefined();
    expect(seen).toEqual([[200, anonymous]]);
  });
});
