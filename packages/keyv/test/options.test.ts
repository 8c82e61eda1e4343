import { MemoryStore, StoreRegistry } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { createKeyv, KeyvStoresAdapter } from '../src/index.js';

const invalid = (message: string) => ({
  code: 'STORE_INVALID_ARGUMENT',
  message: expect.stringContaining(message),
});

describe('new KeyvStoresAdapter()', () => {
  const store = new MemoryStore();
  const registry = new StoreRegistry();

  it('takes a Store, { store } or { registry, name }', () => {
    for (const source of [store, { store }, { registry, name: 'cache' }]) {
      expect(new KeyvStoresAdapter(source)).toBeInstanceOf(KeyvStoresAdapter);
    }
  });

  it('rejects an unknown option, naming it', () => {
    expect(() => new KeyvStoresAdapter({ store, namespace: 'x' } as never)).toThrow(
      expect.objectContaining(invalid("unknown option 'namespace'")),
    );
  });

  it('rejects store and registry together, and neither, saying what to pass', () => {
    expect(() => new KeyvStoresAdapter({ store, registry, name: 'cache' })).toThrow(
      expect.objectContaining(invalid('got both')),
    );
    expect(() => new KeyvStoresAdapter({})).toThrow(
      expect.objectContaining(invalid("needs exactly one of 'store' (a Store) or 'registry'")),
    );
    expect(() => new KeyvStoresAdapter(registry as never)).toThrow(
      expect.objectContaining(invalid('{ store } or { registry, name }')),
    );
  });

  it('needs a name with a registry, and a registry with a name', () => {
    expect(() => new KeyvStoresAdapter({ registry })).toThrow(
      expect.objectContaining(invalid("'name' must be the non-empty name of a store")),
    );
    expect(() => new KeyvStoresAdapter({ store, name: 'cache' })).toThrow(
      expect.objectContaining(invalid("with 'store', drop 'name'")),
    );
  });

  it('rejects closeStore with a registry (the registry owns its stores) and a non-boolean one', () => {
    expect(() => new KeyvStoresAdapter({ registry, name: 'cache', closeStore: true })).toThrow(
      expect.objectContaining(invalid('close the registry')),
    );
    expect(() => new KeyvStoresAdapter({ store, closeStore: 'yes' as never })).toThrow(
      expect.objectContaining(invalid('closeStore must be a boolean')),
    );
  });

  it('rejects what is not a Store', () => {
    expect(() => new KeyvStoresAdapter({ store: new Map() as never })).toThrow(
      expect.objectContaining(invalid("'store' must be a @stores Store")),
    );
  });
});

describe('createKeyv()', () => {
  const store = new MemoryStore();

  it('rejects an option Keyv does not know, naming it, and a ttl that is not ms > 0', () => {
    expect(() => createKeyv(store, { expiresIn: 60 } as never)).toThrow(
      expect.objectContaining(invalid("unknown option 'expiresIn'")),
    );
    expect(() => createKeyv(store, { ttl: -1 })).toThrow(expect.objectContaining(invalid('ttl')));
  });

  it("applies Keyv's options: a default ttl in ms, and no key prefix", async () => {
    const keyv = createKeyv(store, { ttl: 30_000, namespace: 'n' });
    await keyv.set('k', 'v');
    const remaining = await store.withNamespace('n').expiresIn('k');
    expect(remaining).toBeGreaterThan(20);
    expect(remaining).toBeLessThanOrEqual(30);
    expect(keyv.namespace).toBe('n');
    expect(keyv.useKeyPrefix).toBe(false);
  });
});
