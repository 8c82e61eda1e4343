import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';

/** A clock the test moves by hand, in ms since the epoch. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** Calls `make` and returns what it threw. */
function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}

const closed = (error: unknown): boolean => StoreError.is(error, 'STORE_CLOSED');

describe('MemoryStore options', () => {
  it('rejects a maxEntries that is not a positive integer with STORE_INVALID_ARGUMENT', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      const error = thrown(() => new MemoryStore({ maxEntries }));
      expect(StoreError.is(error, 'STORE_INVALID_ARGUMENT'), String(maxEntries)).toBe(true);
    }
  });

  it('rejects a clock that is not a function with STORE_INVALID_ARGUMENT', () => {
    const error = thrown(() => new MemoryStore({ now: 5 as unknown as () => number }));
    expect(StoreError.is(error, 'STORE_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('MemoryStore with maxEntries', () => {
  it('evicts the least recently written entry when full', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    await store.set('a', '1');
    await store.set('b', '2');
    await store.set('c', '3');
    await store.set('d', '4');
    expect(await store.exists('a')).toBe(false);
    expect(await Promise.all(['b', 'c', 'd'].map((k) => store.exists(k)))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('counts a read as a use, so a recently read entry survives', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    await store.set('a', '1');
    await store.set('b', '2');
    await store.set('c', '3');
    await store.get('a');
    await store.set('d', '4');
    expect(await store.exists('a')).toBe(true);
    expect(await store.exists('b')).toBe(false);
  });

  it('bounds the root and all its namespaces together', async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    const child = store.withNamespace('child');
    await store.set('k', 'root');
    await child.set('k', 'child');
    await child.withNamespace('grandchild').set('k', 'grandchild');
    expect(await store.exists('k')).toBe(false);
    expect(await child.exists('k')).toBe(true);
  });

  it('frees room for new entries when entries are deleted or expire', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ maxEntries: 2, now: clock.now });
    const child = store.withNamespace('child');
    await child.set('a', '1');
    await child.set('b', '2');
    await child.deleteAll();
    await store.set('c', '3', { expiresIn: 1 });
    await store.set('d', '4');
    await store.delete('d');
    await store.set('e', '5');
    expect(await store.exists('c')).toBe(true);
    expect(await store.exists('e')).toBe(true);
    clock.advance(1_000);
    expect(await store.exists('c')).toBe(false);
    await store.set('f', '6');
    expect(await store.exists('e')).toBe(true);
    expect(await store.exists('f')).toBe(true);
  });

  it('keeps every entry while under the bound', async () => {
    const store = new MemoryStore({ maxEntries: 100 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.set(`k${i}`, 'v')));
    const present = await Promise.all(Array.from({ length: 100 }, (_, i) => store.exists(`k${i}`)));
    expect(present.every(Boolean)).toBe(true);
  });
});

describe('MemoryStore expiry with an injected clock', () => {
  it('expires an entry exactly at its expiry time', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now });
    await store.set('k', 'v', { expiresIn: 1 });
    clock.advance(999);
    expect(await store.expiresIn('k')).toBe(0.001);
    expect(await store.exists('k')).toBe(true);
    clock.advance(1);
    expect(await store.exists('k')).toBe(false);
    expect(await store.expiresIn('k')).toBeNull();
    expect(await store.get('k')).toBeNull();
  });

  it('renews from the current time of the clock', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now });
    await store.set('k', 'v', { expiresIn: 10 });
    clock.advance(9_000);
    await store.get('k', { renewFor: 100 });
    expect(await store.expiresIn('k')).toBe(100);
    clock.advance(99_999);
    expect(await store.exists('k')).toBe(true);
  });

  it('sweeps expired entries during later writes, without reading them', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.set(`old${i}`, 'v', { expiresIn: 1 })),
    );
    clock.advance(1_000);
    for (let i = 0; i < 10; i++) await store.set(`new${i}`, 'v');
    // Nothing expired is left for deleteExpired: the writes already removed all ten.
    expect(await store.deleteExpired()).toBe(0);
    expect(await store.exists('new9')).toBe(true);
  });

  it('leaves expired entries for deleteExpired when nothing is written', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.set(`old${i}`, 'v', { expiresIn: 1 })),
    );
    clock.advance(1_000);
    expect(await store.deleteExpired()).toBe(10);
  });
});

describe('MemoryStore.deleteExpired()', () => {
  it('counts the expired entries of its namespace and those below, and keeps live ones', async () => {
    const clock = fakeClock();
    const root = new MemoryStore({ now: clock.now });
    // withNamespace is typed as Store; the child is a MemoryStore with deleteExpired().
    const child = root.withNamespace('a');
    const sibling = root.withNamespace('ab');
    await root.set('e', 'v', { expiresIn: 1 });
    await child.set('e', 'v', { expiresIn: 1 });
    await child.withNamespace('b').set('e', 'v', { expiresIn: 1 });
    await sibling.set('e', 'v', { expiresIn: 1 });
    await child.set('live', 'v', { expiresIn: 100 });
    await root.set('forever', 'v');
    clock.advance(1_000);
    expect(await child.deleteExpired()).toBe(2);
    expect(await root.deleteExpired()).toBe(2);
    expect(await root.deleteExpired()).toBe(0);
    expect(await child.get('live')).not.toBeNull();
    expect(await root.get('forever')).not.toBeNull();
  });

  it('rejects with STORE_CLOSED after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.deleteExpired()).rejects.toSatisfy(closed);
  });
});

describe('MemoryStore namespaces', () => {
  it('share one state: two handles on a namespace see the same entries', async () => {
    const root = new MemoryStore();
    await root.withNamespace('sessions').set('k', 'v');
    expect(await root.withNamespace('sessions').get('k')).toEqual(new TextEncoder().encode('v'));
    expect(await root.withNamespace('session').exists('k')).toBe(false);
  });

  it('drop all data when the root closes, and reject afterwards', async () => {
    const root = new MemoryStore();
    const child = root.withNamespace('c');
    await child.set('k', 'v');
    await child.close();
    expect(await root.withNamespace('c').get('k')).not.toBeNull();
    await root.close();
    await expect(child.get('k')).rejects.toSatisfy(closed);
  });
});

describe('MemoryStore namespaces', () => {
  // gc() without --expose-gc: the flag can be set at run time, and a new context sees it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapAfterGc = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };

  it('forgets namespaces whose entries are gone: memory follows live entries', async () => {
    const root = new MemoryStore();
    await root.set('keep', 'x');
    const before = heapAfterGc();
    for (let i = 0; i < 50_000; i++) await root.withNamespace(`tenant-${i}`).set('k', 'v');
    const full = heapAfterGc();
    await root.deleteAll();
    const after = heapAfterGc();
    // 50k namespaces with an entry each cost several MB; once deleted they must cost ~nothing.
    expect(full - before).toBeGreaterThan(4_000_000);
    expect(after - before).toBeLessThan(1_000_000);
  });

  it('forgets a namespace emptied by delete, expiry sweeps and eviction', async () => {
    const clock = fakeClock();
    const root = new MemoryStore({ now: clock.now, maxEntries: 10 });
    const before = heapAfterGc();
    for (let i = 0; i < 20_000; i++) {
      const child = root.withNamespace(`n${i}`);
      await child.set('a', 'v', { expiresIn: 1 });
      await child.set('b', 'v');
      await child.delete('b');
    }
    clock.advance(1000);
    expect(await root.deleteExpired()).toBeLessThanOrEqual(10);
    expect(heapAfterGc() - before).toBeLessThan(1_000_000);
  });

  it('keeps namespaces that still hold entries, and their children, when a sibling empties', async () => {
    const root = new MemoryStore();
    const busy = root.withNamespace('busy');
    await busy.withNamespace('child').set('k', 'v');
    const small = root.withNamespace('small');
    for (let i = 0; i < 100; i++) {
      await small.set('k', 'v');
      await small.deleteAll();
    }
    expect(await busy.withNamespace('child').get('k')).toEqual(new TextEncoder().encode('v'));
    expect(await small.exists('k')).toBe(false);
  });

  it('keeps a child store usable after its namespace was forgotten', async () => {
    const root = new MemoryStore();
    const child = root.withNamespace('a').withNamespace('b');
    await child.set('k', '1');
    await root.deleteAll();
    expect(await child.get('k')).toBeNull();
    await child.set('k', '2');
    expect(await root.withNamespace('a').withNamespace('b').get('k')).toEqual(
      new TextEncoder().encode('2'),
    );
    await root.withNamespace('a').deleteAll();
    expect(await child.exists('k')).toBe(false);
  });
});

describe('MemoryStore values', () => {
  /** `length` bytes running through every byte value from `start`. */
  const run = (length: number, start = 0) =>
    Uint8Array.from({ length }, (_, i) => (start + i) % 256);

  it('returns every byte value intact at, below and above the small-value size', async () => {
    const store = new MemoryStore();
    for (const length of [1, 127, 128, 129, 256, 4096]) {
      for (const start of [0, 128, 255]) {
        const key = `${length}:${start}`;
        await store.set(key, run(length, start));
        expect(await store.get(key), key).toEqual(run(length, start));
      }
    }
  });

  it('hands out arrays that each own exactly their bytes', async () => {
    const store = new MemoryStore();
    await store.set('small', run(100));
    await store.set('large', run(1000));
    for (const key of ['small', 'large']) {
      const first = (await store.get(key)) as Uint8Array;
      const second = (await store.get(key)) as Uint8Array;
      expect(first.buffer.byteLength).toBe(first.byteLength);
      expect(first.buffer).not.toBe(second.buffer);
      first.fill(0);
      expect(await store.get(key)).toEqual(second);
    }
  });

  it('keeps what a small array held when the set happened, not what it holds later', async () => {
    const store = new MemoryStore();
    const pooled = Buffer.from('counter: 41'); // from Node's shared pool
    await store.set('k', pooled.subarray(9));
    pooled.fill(0x30);
    expect(await store.increment('k')).toBe(42);
    expect(new TextDecoder().decode((await store.get('k')) as Uint8Array)).toBe('42');
  });

  it('stores an empty array as an empty value', async () => {
    const store = new MemoryStore();
    await store.set('k', new Uint8Array(0));
    expect(await store.get('k')).toEqual(new Uint8Array(0));
  });
});
