import * as core from '@stores/core';
import { StoreError, StoreRegistry } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';

describe('StoreRegistry with the memory backend', () => {
  it('re-exports the MemoryStore that the registry creates', () => {
    expect(MemoryStore).toBe(core.MemoryStore);
  });

  it('makes a separate MemoryStore per name by default, created once', async () => {
    const registry = new StoreRegistry();
    const sessions = registry.get('sessions');
    const cache = registry.get('response_cache');
    expect(sessions).toBeInstanceOf(MemoryStore);
    expect(cache).toBeInstanceOf(MemoryStore);
    expect(sessions).not.toBe(cache);
    expect(registry.get('sessions')).toBe(sessions);
    await sessions.set('k', 'v');
    expect(await cache.exists('k')).toBe(false);
    await registry.close();
    await expect(sessions.get('k')).rejects.toSatisfy((e) => StoreError.is(e, 'STORE_CLOSED'));
  });

  it('takes registered stores and a replacement default factory', async () => {
    const root = new MemoryStore();
    const fixed = new MemoryStore();
    const registry = new StoreRegistry({
      stores: { fixed },
      defaultFactory: (name) => root.withNamespace(name),
    });
    expect(registry.get('fixed')).toBe(fixed);
    await registry.get('rate_limit').set('k', 'v');
    expect(await root.withNamespace('rate_limit').exists('k')).toBe(true);
    expect(registry.names()).toEqual(['fixed', 'rate_limit']);
  });
});
