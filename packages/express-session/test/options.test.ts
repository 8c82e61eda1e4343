import { MemoryStore, StoreError, StoreRegistry } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { SessionStore, type SessionStoreOptions } from '../src/index.js';

function rejected(options: unknown): StoreError {
  try {
    new SessionStore(options as SessionStoreOptions);
  } catch (error) {
    if (StoreError.is(error)) return error;
    throw error;
  }
  throw new Error('expected new SessionStore() to throw');
}

describe('new SessionStore()', () => {
  it('rejects an unknown option, naming it', () => {
    const error = rejected({ store: new MemoryStore(), prefix: 'sess:' });
    expect(error.code).toBe('STORE_INVALID_ARGUMENT');
    expect(error.message).toContain("'prefix'");
  });

  it('rejects store and registry together, saying what to pass', () => {
    const error = rejected({ store: new MemoryStore(), registry: new StoreRegistry() });
    expect(error.code).toBe('STORE_INVALID_ARGUMENT');
    expect(error.message).toMatch(/\{ store \} or \{ registry/);
  });

  it('rejects neither store nor registry, saying what to pass', () => {
    for (const options of [undefined, {}, { ttl: 60 }]) {
      const error = rejected(options);
      expect(error.code).toBe('STORE_INVALID_ARGUMENT');
      expect(error.message).toMatch(/needs \{ store \}.*or \{ registry \}/);
    }
  });

  it('rejects name without a registry', () => {
    const error = rejected({ store: new MemoryStore(), name: 'sessions' });
    expect(error.code).toBe('STORE_INVALID_ARGUMENT');
    expect(error.message).toContain('registry');
  });

  it('rejects a store that is not a @stores Store', () => {
    for (const store of [null, {}, new Map(), 'redis://localhost']) {
      expect(rejected({ store }).code).toBe('STORE_INVALID_ARGUMENT');
    }
  });

  it('rejects a registry without get()', () => {
    expect(rejected({ registry: {} }).code).toBe('STORE_INVALID_ARGUMENT');
  });

  it('rejects a ttl that is not a positive number of seconds or a function', () => {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60', null]) {
      const error = rejected({ store: new MemoryStore(), ttl });
      expect(error.code).toBe('STORE_INVALID_ARGUMENT');
      expect(error.message).toContain('ttl');
    }
  });

  it('rejects a serializer without stringify() and parse()', () => {
    for (const serializer of [null, {}, { parse: JSON.parse }]) {
      expect(rejected({ store: new MemoryStore(), serializer }).code).toBe(
        'STORE_INVALID_ARGUMENT',
      );
    }
  });

  it('rejects a disableTouch that is not a boolean', () => {
    expect(rejected({ store: new MemoryStore(), disableTouch: 'yes' }).code).toBe(
      'STORE_INVALID_ARGUMENT',
    );
  });

  it('passes on the registry’s own error for a bad name', () => {
    expect(rejected({ registry: new StoreRegistry(), name: '' }).code).toBe(
      'STORE_INVALID_ARGUMENT',
    );
  });
});
