import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreError, StoreRegistry } from '../src/index.js';
import { MapStore } from './map-store.js';

function thrownCode(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (StoreError.is(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('StoreRegistry', () => {
  it('returns registered stores and creates others once with the default factory', () => {
    const sessions = new MapStore();
    const created: string[] = [];
    const registry = new StoreRegistry({
      stores: { sessions },
      defaultFactory: (name) => {
        created.push(name);
        return new MapStore();
      },
    });
    expect(registry.get('sessions')).toBe(sessions);
    const cache = registry.get('response_cache');
    expect(registry.get('response_cache')).toBe(cache);
    expect(created).toEqual(['response_cache']);
    expect(registry.has('response_cache')).toBe(true);
    expect(registry.has('rate_limit')).toBe(false);
    expect(registry.names()).toEqual(['sessions', 'response_cache']);
  });

  it('gives each integration its own namespace of one root store', async () => {
    const root = new MapStore();
    const registry = new StoreRegistry({ defaultFactory: (name) => root.withNamespace(name) });
    await registry.get('sessions').set('k', 'a');
    expect(await registry.get('rate_limit').exists('k')).toBe(false);
    expect(await registry.get('sessions').exists('k')).toBe(true);
  });

  it('refuses to register a name twice unless allowed to override', () => {
    const registry = new StoreRegistry();
    const first = new MapStore();
    const second = new MapStore();
    registry.register('x', first);
    expect(thrownCode(() => registry.register('x', second))).toBe('STORE_ALREADY_REGISTERED');
    expect(registry.get('x')).toBe(first);
    registry.register('x', second, { allowOverride: true });
    expect(registry.get('x')).toBe(second);
  });

  it('makes a separate MemoryStore per name without a default factory', async () => {
    const registry = new StoreRegistry();
    const sessions = registry.get('sessions');
    const cache = registry.get('response_cache');
    expect(sessions).toBeInstanceOf(MemoryStore);
    expect(cache).not.toBe(sessions);
    expect(registry.get('sessions')).toBe(sessions);
    await sessions.set('k', 'v');
    expect(await cache.exists('k')).toBe(false);
    await registry.close();
    await expect(sessions.get('k')).rejects.toSatisfy((e) => StoreError.is(e, 'STORE_CLOSED'));
  });

  it('rejects bad names, stores and factories with STORE_INVALID_ARGUMENT', () => {
    const registry = new StoreRegistry();
    expect(thrownCode(() => registry.get(''))).toBe('STORE_INVALID_ARGUMENT');
    expect(thrownCode(() => registry.register('x', {} as never))).toBe('STORE_INVALID_ARGUMENT');
    expect(thrownCode(() => new StoreRegistry({ defaultFactory: 5 as never }))).toBe(
      'STORE_INVALID_ARGUMENT',
    );
  });

  it('closes every store once, even one registered under two names', async () => {
    const shared = new MapStore();
    const other = new MapStore();
    const registry = new StoreRegistry({ stores: { a: shared, b: shared, c: other } });
    await registry.close();
    await registry.close();
    expect(shared.released).toBe(1);
    expect(other.released).toBe(1);
    expect(shared.closed && other.closed).toBe(true);
    expect(thrownCode(() => registry.get('a'))).toBe('STORE_CLOSED');
  });

  it('tries every store and rejects with the first failure', async () => {
    const failing = new MapStore();
    const healthy = new MapStore();
    failing.close = () => Promise.reject(new Error('boom'));
    const registry = new StoreRegistry({ stores: { failing, healthy } });
    await expect(registry.close()).rejects.toThrow('boom');
    expect(healthy.closed).toBe(true);
  });
});
