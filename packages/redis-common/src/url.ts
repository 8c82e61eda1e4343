import { describe, StoreError } from '@stores/core';

const DB = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Checks a connection URL before a client sees it, throwing `STORE_INVALID_ARGUMENT` for what
 * the clients would misread: an empty string or `http://...` (taken as a host or a socket
 * path), another scheme than `schemes`, a db that is not a non-negative integer (`/abc` makes
 * ioredis 6 crash the process on an uncaught SELECT error). The message never repeats the URL,
 * which may hold a password.
 */
export function checkUrl(url: unknown, schemes: readonly string[]): asserts url is string {
  const shape = `${schemes[0]}//[user:password@]host[:port][/db]`;
  const others = schemes.slice(1).map((scheme) => `${scheme}//`);
  const expected = `expected ${shape} (or ${others.join(', ')}), as in ${schemes[0]}//localhost:6379/0`;
  if (typeof url !== 'string') {
    throw new StoreError('STORE_INVALID_ARGUMENT', `url must be a string, got ${describe(url)}`);
  }
  if (url.trim() === '') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `url is empty: ${expected}; leave url out to connect to localhost:6379`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `url is not a URL: ${expected}`, {
      cause: error,
    });
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `url scheme '${parsed.protocol}' is not supported: ${expected}`,
    );
  }
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '') checkDb(path, `url db '/${path}'`, `; ${expected}`);
  const query = parsed.searchParams.get('db');
  if (query !== null) checkDb(query, `url db '?db=${query}'`, `; ${expected}`);
}

/** Throws `STORE_INVALID_ARGUMENT` unless `db` is a non-negative integer (or its decimal). */
export function checkDb(db: unknown, what: string, hint = ''): void {
  const valid =
    typeof db === 'number'
      ? Number.isSafeInteger(db) && db >= 0
      : typeof db === 'string' && DB.test(db);
  if (!valid) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${what} is not a database number: use a non-negative integer such as 0 (the default)${hint}`,
    );
  }
}
