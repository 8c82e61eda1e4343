import { describe, expect, it } from 'vitest';
import { variantKey } from '../src/cache-key.js';
import { type CacheRequest, defaultKeyBuilder } from '../src/index.js';
import { SPLIT_VARIANTS } from './support/variants.js';

function requestOf(target: string, headers: Record<string, string> = {}): CacheRequest {
  const question = target.indexOf('?');
  return {
    method: 'GET',
    path: question === -1 ? target : target.slice(0, question),
    query: question === -1 ? '' : target.slice(question + 1),
    header: (name) => headers[name.toLowerCase()],
  };
}

const key = (target: string): string => defaultKeyBuilder(requestOf(target));

describe('defaultKeyBuilder()', () => {
  it('is GET, the path, ? and the query sorted by name', () => {
    expect(key('/search?q=x&a=1')).toBe('GET /search?a=1&q=x');
    expect(key('/')).toBe('GET /?');
  });

  it('gives HEAD the key of GET', () => {
    expect(defaultKeyBuilder({ ...requestOf('/a?b=1'), method: 'HEAD' })).toBe('GET /a?b=1');
  });

  it('keeps GET /a with the query b=c apart from GET /ab=c', () => {
    expect(key('/a?b=c')).not.toBe(key('/ab=c'));
  });

  it('keeps the order of a repeated name (a stable sort)', () => {
    expect(key('/q?b=1&a=2&b=0&a=1')).toBe('GET /q?a=2&a=1&b=1&b=0');
  });

  it('keeps parameters as received: encodings, a name alone, a value with =', () => {
    expect(key('/q?x=%41&y&z=a=b&w=')).toBe('GET /q?w=&x=%41&y&z=a=b');
    expect(key('/q?x=%41')).not.toBe(key('/q?x=A'));
  });

  it('ignores empty parameters and an empty query', () => {
    expect(key('/q?a=1&&b=2&')).toBe(key('/q?a=1&b=2'));
    expect(key('/q?')).toBe(key('/q'));
  });

  it('is injective over paths and parameter lists (no two of these share a key)', () => {
    const targets = [
      '/a?b=c',
      '/ab=c',
      '/a?b=c&d',
      '/a?b=c%26d',
      '/a?b&c',
      '/a?bc',
      '/a%3Fb=c',
      '/a/?b=c',
      '/a?b==c',
      '/a?=bc',
    ];
    expect(new Set(targets.map(key)).size).toBe(targets.length);
  });
});

describe('variantKey()', () => {
  it('keeps header values apart however they split, and absent apart from empty', () => {
    const names = ['x-a', 'x-b'];
    const variants = [...SPLIT_VARIANTS, { 'x-a': '"a"', 'x-b': 'b' }, { 'x-a': 'a","x-b":"b' }];
    const keys = variants.map((headers) => variantKey('GET /v?', names, requestOf('/v', headers)));
    expect(new Set(keys).size).toBe(variants.length);
  });

  it('keeps base keys apart', () => {
    const request = requestOf('/v', { 'x-a': 'a' });
    expect(variantKey('GET /a?', ['x-a'], request)).not.toBe(
      variantKey('GET /a?,', ['x-a'], request),
    );
  });
});
