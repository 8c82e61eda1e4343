import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  addToCounter,
  formatCounter,
  MemoryStore,
  parseCounter,
  resolveStore,
  StoreError,
  type StoreErrorCode,
  StoreRegistry,
} from '../src/index.js';
import { MapStore } from './map-store.js';

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (StoreError.is(error)) return error;
    throw new Error(`rejected with a non-StoreError: ${String(error)}`);
  }
  throw new Error('resolved, expected a rejection');
}

async function codeOf(promise: Promise<unknown>): Promise<StoreErrorCode> {
  return (await rejection(promise)).code;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('options objects', () => {
  it("rejects set(k, v, { ttl }) naming 'ttl' and suggesting 'expiresIn'", async () => {
    const error = await rejection(
      new MapStore().set('k', 'v', { ttl: 10 } as unknown as { expiresIn: number }),
    );
    expect(error.code).toBe('STORE_INVALID_ARGUMENT');
    expect(error.message).toContain("unknown option 'ttl' of set()");
    expect(error.message).toContain("did you mean 'expiresIn'?");
  });

  it.each([
    ['get', (s: MapStore) => s.get('k', { renew: 1 } as never)],
    ['setIfAbsent', (s: MapStore) => s.setIfAbsent('k', 'v', { ttl: 1 } as never)],
    ['increment', (s: MapStore) => s.increment('k', { step: 2 } as never)],
    ['touch', (s: MapStore) => s.touch('k', { expiresIn: 1, ttl: 2 } as never)],
    ['keys', (s: MapStore) => s.keys({ match: 'a*' } as never).next()],
  ])('rejects an unknown option of %s()', async (_name, call) => {
    const error = await rejection(call(new MapStore()));
    expect(error.code).toBe('STORE_INVALID_ARGUMENT');
    expect(error.message).toMatch(/unknown option '\w+'/);
  });

  it('rejects unknown constructor options', () => {
    expect(() => new MemoryStore({ maxEntrys: 3 } as never)).toThrow(/unknown option 'maxEntrys'/);
    expect(() => new StoreRegistry({ default: () => new MemoryStore() } as never)).toThrow(
      /unknown option 'default'/,
    );
  });

  it('rejects touch() without an expiry', async () => {
    expect(await codeOf(new MapStore().touch('k', undefined as never))).toBe(
      'STORE_INVALID_ARGUMENT',
    );
    expect(await codeOf(new MapStore().touch('k', {} as never))).toBe('STORE_INVALID_ARGUMENT');
  });

  it('rejects an increment step that is not a safe integer', async () => {
    for (const by of [1.5, Number.NaN, 2 ** 53, '1']) {
      expect(await codeOf(new MapStore().increment('k', { by: by as number }))).toBe(
        'STORE_INVALID_ARGUMENT',
      );
    }
  });

  it('hands increment and touch hooks whole ms', async () => {
    const store = new MapStore();
    await store.increment('k', { by: -3, expiresIn: 0.5 });
    await store.touch('k', { expiresIn: 2 });
    expect(store.calls).toEqual(['increment:k:-3:500', 'touch:k:2000']);
  });
});

describe('BaseStore error wrapping', () => {
  class FailingStore extends MapStore {
    protected override async doGet(): Promise<Uint8Array | null> {
      throw new RangeError('disk on fire');
    }
    protected override doExists(): Promise<boolean> {
      throw new TypeError('thrown synchronously');
    }
    protected override async *doKeys(): AsyncIterable<string> {
      yield 'a';
      throw new Error('listing broke');
    }
  }

  it('wraps a hook rejection as STORE_IO with the original as cause', async () => {
    const error = await rejection(new FailingStore().get('k'));
    expect(error.code).toBe('STORE_IO');
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.message).toContain('disk on fire');
  });

  it('wraps a synchronous hook throw as a rejection', async () => {
    const error = await rejection(new FailingStore().exists('k'));
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('wraps an error thrown while iterating keys()', async () => {
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const key of new FailingStore().keys()) seen.push(key);
      })(),
    );
    expect(seen).toEqual(['a']);
    expect(error.code).toBe('STORE_IO');
  });
});

describe('BaseStore hooks that answer synchronously', () => {
  // A hook may return its value (MemoryStore's do) or a promise of it, even a foreign thenable.
  class SyncStore extends MemoryStore {
    protected override doExists(key: string): boolean {
      if (key === 'bad') throw new RangeError('sync failure');
      return key === 'yes';
    }
    protected override doExpiresIn(key: string): number | null {
      return key === 'k' ? 1500 : null;
    }
    protected override doDelete(key: string): Promise<boolean> {
      // A thenable that is not a native promise: it is adopted, and its failure wrapped.
      const thenable = {
        // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
        then: (resolve: (v: boolean) => void, reject: (e: unknown) => void) =>
          key === 'bad' ? reject(new TypeError('thenable failure')) : resolve(true),
      };
      return thenable as unknown as Promise<boolean>;
    }
  }

  it('hands a synchronous answer back as a promise of it', async () => {
    const store = new SyncStore();
    const pending = store.exists('yes');
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(true);
    expect(await store.exists('no')).toBe(false);
    expect(await store.expiresIn('k')).toBe(1.5);
    expect(await store.expiresIn('other')).toBeNull();
  });

  it('turns a synchronous throw into a STORE_IO rejection with the cause', async () => {
    const error = await rejection(new SyncStore().exists('bad'));
    expect(error.code).toBe('STORE_IO');
    expect(error.cause).toBeInstanceOf(RangeError);
  });

  it('adopts a foreign thenable and wraps its rejection', async () => {
    const store = new SyncStore();
    expect(await store.delete('k')).toBe(true);
    const error = await rejection(store.delete('bad'));
    expect(error.code).toBe('STORE_IO');
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

describe('closed ancestry', () => {
  it('rejects every method of a grandchild once the root is closed', async () => {
    const root = new MemoryStore();
    const grandchild = root.withNamespace('a').withNamespace('b');
    await root.close();
    const calls: Promise<unknown>[] = [
      grandchild.set('k', 'v'),
      grandchild.setIfAbsent('k', 'v'),
      grandchild.increment('k'),
      grandchild.touch('k', { expiresIn: 1 }),
      grandchild.delete('k'),
      grandchild.keys().next(),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('STORE_CLOSED');
    expect(() => grandchild.withNamespace('c')).toThrow(StoreError);
  });

  it('ends a keys() iteration that outlives its store with STORE_CLOSED', async () => {
    const store = new MemoryStore();
    await store.set('a', '1');
    await store.set('b', '2');
    const iterator = store.keys();
    await iterator.next();
    await store.close();
    expect(await codeOf(iterator.next())).toBe('STORE_CLOSED');
  });
});

describe('counters', () => {
  it('parses exactly the bytes Redis INCRBY keeps', () => {
    expect(parseCounter(bytes('0'))).toBe(0);
    expect(parseCounter(bytes('-12'))).toBe(-12);
    expect(parseCounter(bytes(String(Number.MAX_SAFE_INTEGER)))).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of ['', '+1', '01', '-0', ' 1', '1 ', '1.5', '1e3', 'abc', '9007199254740992']) {
      expect(() => parseCounter(bytes(bad)), bad).toThrow(
        expect.objectContaining({ code: 'STORE_INVALID_VALUE' }),
      );
    }
  });

  it('formats the ASCII decimal and refuses sums beyond the safe range', () => {
    expect(new TextDecoder().decode(formatCounter(-42))).toBe('-42');
    expect(() => addToCounter(Number.MAX_SAFE_INTEGER, 1)).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_ARGUMENT' }),
    );
    expect(addToCounter(-Number.MAX_SAFE_INTEGER, 0)).toBe(-Number.MAX_SAFE_INTEGER);
  });
});

describe('values', () => {
  it('accepts a Uint8Array from another realm', async () => {
    const store = new MemoryStore();
    const foreign = runInNewContext('new Uint8Array([1, 2, 3])') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    await store.set('k', foreign);
    expect(await store.get('k')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('stores the real bytes whatever an overridden byteLength claims', async () => {
    const store = new MemoryStore();
    const liar = new Uint8Array([7, 8]);
    Object.defineProperty(liar, 'byteLength', { get: () => 4096 });
    await store.set('k', liar);
    expect(await store.get('k')).toEqual(new Uint8Array([7, 8]));
  });

  it('rejects a detached array, a DataView and other typed arrays with STORE_INVALID_VALUE', async () => {
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const store = new MemoryStore();
    for (const value of [detached, new DataView(new ArrayBuffer(2)), new Uint16Array(2)]) {
      expect(await codeOf(store.set('k', value as Uint8Array))).toBe('STORE_INVALID_VALUE');
    }
  });

  it('shares no ArrayBuffer between stored entries and what it hands out', async () => {
    const root = new MemoryStore();
    const spaces = [root, root.withNamespace('a'), root.withNamespace('a').withNamespace('b')];
    for (const [s, store] of spaces.entries()) {
      for (let i = 0; i < 200; i++) await store.set(`k${i}`, `secret-${s}-${i}`);
    }
    const secret = bytes('secret-');
    for (const store of spaces) {
      const value = await store.get('k7');
      if (value === null) throw new Error('missing');
      // The whole backing buffer is this value's bytes: nothing else is readable through it.
      expect(value.buffer.byteLength).toBe(value.byteLength);
      new Uint8Array(value.buffer).fill(0x58);
    }
    for (const [s, store] of spaces.entries()) {
      for (let i = 0; i < 200; i++) {
        expect(new TextDecoder().decode((await store.get(`k${i}`)) ?? undefined)).toBe(
          `secret-${s}-${i}`,
        );
      }
    }
    const input = bytes('input-value');
    await root.set('in', input);
    new Uint8Array(input.buffer).fill(0);
    expect(await root.get('in')).toEqual(bytes('input-value'));
    expect(secret.length).toBe(7);
  });
});

describe('borrowsValues', () => {
  /** Hands its hooks the caller's bytes and records what they got. */
  class Borrowing extends MapStore {
    protected override readonly borrowsValues = true;
    readonly seen: Uint8Array[] = [];
    protected override async doSet(key: string, value: Uint8Array): Promise<void> {
      this.seen.push(value);
      return super.doSet(key, value, undefined);
    }
  }

  it('hands the hook a view of the caller memory over its real extent, checked as ever', async () => {
    const store = new Borrowing();
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    const caller = backing.subarray(1, 3);
    Object.defineProperty(caller, 'byteLength', { get: () => 4096 });
    await store.set('k', caller);
    const [seen] = store.seen;
    expect(seen?.buffer).toBe(backing.buffer);
    expect([seen?.byteOffset, seen?.byteLength]).toEqual([1, 2]);
    await store.set('s', 'text');
    expect(store.seen[1]).toEqual(bytes('text'));
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(await codeOf(store.set('k', detached))).toBe('STORE_INVALID_VALUE');
    expect(await codeOf(store.setIfAbsent('k', new Uint16Array(2) as never))).toBe(
      'STORE_INVALID_VALUE',
    );
  });

  it('still hands a backend without it a private copy', async () => {
    const store = new MapStore();
    const caller = bytes('abc');
    await store.set('k', caller);
    caller.fill(0);
    expect(await store.get('k')).toEqual(bytes('abc'));
  });
});

describe('StoreRegistry({ root })', () => {
  it('gives each name its own namespace of the root and owns the root', async () => {
    const root = new MapStore();
    const registry = new StoreRegistry({ root });
    const sessions = registry.get('sessions');
    await sessions.set('k', 'a');
    expect(await registry.get('rate_limit').exists('k')).toBe(false);
    expect(await root.exists('k')).toBe(false);
    await registry.close();
    expect(root.released).toBe(1);
    expect(await codeOf(sessions.get('k'))).toBe('STORE_CLOSED');
  });

  it('closes the root even when no name was ever used', async () => {
    const root = new MapStore();
    await new StoreRegistry({ root }).close();
    expect(root.released).toBe(1);
  });

  it('refuses root together with defaultFactory, and a root that is not a Store', () => {
    const root = new MapStore();
    expect(() => new StoreRegistry({ root, defaultFactory: () => root })).toThrow(
      /root or defaultFactory, not both/,
    );
    expect(() => new StoreRegistry({ root: {} as never })).toThrow(/root must be a @stores Store/);
  });
});

describe('resolveStore()', () => {
  const store = new MapStore();
  const registry = new StoreRegistry({ stores: { sessions: store } });

  it('takes a store as it is, or resolves a name through a registry', () => {
    expect(resolveStore({ store }, 'new X()')).toBe(store);
    expect(resolveStore({ registry }, 'new X()', 'sessions')).toBe(store);
    expect(resolveStore({ registry, name: 'sessions' }, 'new X()')).toBe(store);
  });

  it.each([
    [{}, /needs exactly one of 'store'.*got neither/],
    [{ store, registry }, /got both/],
    [{ store, name: 'x' }, /with 'store', drop 'name'/],
    [{ registry: {} }, /'registry' must be a StoreRegistry/],
    [{ store: {} }, /option 'store' must be a @stores Store/],
  ])('rejects %o with a message saying what to pass', (source, message) => {
    expect(() => resolveStore(source as never, 'new X()', 'sessions')).toThrow(message);
  });

  it('requires a name when the integration has no conventional one', () => {
    expect(() => resolveStore({ registry }, 'createKeyv()')).toThrow(
      /'name' must be the non-empty name/,
    );
  });
});
