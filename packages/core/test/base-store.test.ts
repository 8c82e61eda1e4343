import { describe, expect, it } from 'vitest';
import { BaseStore, StoreError, type StoreErrorCode } from '../src/index.js';
import { MapStore } from './map-store.js';

async function codeOf(
  promise: Promise<unknown> | (() => unknown),
): Promise<StoreErrorCode | 'none'> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (StoreError.is(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('BaseStore', () => {
  it('hands hooks a private copy of the value and whole-ms durations', async () => {
    const store = new MapStore();
    const value = new Uint8Array([1, 2, 3]);
    await store.set('k', value, { expiresIn: 0.25 });
    value[0] = 9;
    expect(await store.get('k', { renewFor: 2 })).toEqual(new Uint8Array([1, 2, 3]));
    expect(store.calls).toEqual(['set:k:250', 'get:k:2000']);
  });

  it('copies a Buffer rather than sharing its memory', async () => {
    const store = new MapStore();
    const buffer = Buffer.from('abc');
    await store.set('k', buffer);
    buffer[0] = 0x7a;
    expect(new TextDecoder().decode((await store.get('k')) ?? undefined)).toBe('abc');
  });

  it('encodes strings as UTF-8', async () => {
    const store = new MapStore();
    await store.set('k', 'é😀');
    expect(await store.get('k')).toEqual(new TextEncoder().encode('é😀'));
  });

  it('reports expiresIn in seconds and Infinity without expiry', async () => {
    const store = new MapStore();
    await store.set('a', 'x', { expiresIn: 1.5 });
    await store.set('b', 'x');
    expect(await store.expiresIn('a')).toBe(1.5);
    expect(await store.expiresIn('b')).toBe(Number.POSITIVE_INFINITY);
    expect(await store.expiresIn('missing')).toBeNull();
  });

  it.each([
    ['a number key', () => new MapStore().set(1 as unknown as string, 'x'), 'STORE_INVALID_KEY'],
    ['a lone surrogate key', () => new MapStore().get('a\uD800'), 'STORE_INVALID_KEY'],
    [
      'a number value',
      () => new MapStore().set('k', 1 as unknown as string),
      'STORE_INVALID_VALUE',
    ],
    [
      'a null value',
      () => new MapStore().set('k', null as unknown as string),
      'STORE_INVALID_VALUE',
    ],
    [
      'a Uint16Array value',
      () => new MapStore().set('k', new Uint16Array(2) as unknown as string),
      'STORE_INVALID_VALUE',
    ],
    ['expiresIn 0', () => new MapStore().set('k', 'x', { expiresIn: 0 }), 'STORE_INVALID_ARGUMENT'],
    [
      'renewFor NaN',
      () => new MapStore().get('k', { renewFor: Number.NaN }),
      'STORE_INVALID_ARGUMENT',
    ],
    [
      'options that are not an object',
      () => new MapStore().set('k', 'x', 5 as never),
      'STORE_INVALID_ARGUMENT',
    ],
    ['an empty namespace', () => new MapStore().withNamespace(''), 'STORE_INVALID_ARGUMENT'],
    [
      'a non-string namespace',
      () => new MapStore().withNamespace(7 as unknown as string),
      'STORE_INVALID_ARGUMENT',
    ],
  ] as const)('rejects %s', async (_label, call, code) => {
    expect(await codeOf(call)).toBe(code);
  });

  it('writes nothing when the duration is invalid', async () => {
    const store = new MapStore();
    await codeOf(store.set('k', 'x', { expiresIn: -1 }));
    expect(await store.exists('k')).toBe(false);
    expect(store.calls).toEqual([]);
  });

  it('rejects every call after close with STORE_CLOSED and releases resources once', async () => {
    const store = new MapStore();
    await store.close();
    await store.close();
    expect(store.released).toBe(1);
    expect(store.closed).toBe(true);
    for (const call of [
      () => store.set('k', 'x'),
      () => store.get('k'),
      () => store.delete('k'),
      () => store.deleteAll(),
      () => store.exists('k'),
      () => store.expiresIn('k'),
      () => store.withNamespace('n'),
    ]) {
      expect(await codeOf(call)).toBe('STORE_CLOSED');
    }
  });

  it('closes a child without touching the parent or its resources', async () => {
    const root = new MapStore();
    const child = root.withNamespace('a');
    await child.close();
    expect(await codeOf(child.get('k'))).toBe('STORE_CLOSED');
    await root.set('k', 'x');
    expect(await root.exists('k')).toBe(true);
    expect(root.released).toBe(0);
  });

  it('makes children reject once their root is closed', async () => {
    const root = new MapStore();
    const grandchild = root.withNamespace('a').withNamespace('b');
    await root.close();
    expect(await codeOf(grandchild.exists('k'))).toBe('STORE_CLOSED');
  });

  it('closes on Symbol.asyncDispose', async () => {
    const store = new MapStore();
    {
      await using scoped = store;
      await scoped.set('k', 'x');
    }
    expect(store.closed).toBe(true);
  });

  it('records the namespace path of nested children', () => {
    const child = new MapStore().withNamespace('a').withNamespace('b:c');
    expect(child).toBeInstanceOf(BaseStore);
    expect((child as MapStore).namespacePath).toEqual(['a', 'b:c']);
  });
});
