import { runInNewContext } from 'node:vm';
import type { Store } from '@stores/core';
import { check, checkBytes, checkRejects, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { loose, nested } from './helpers.js';

// A probe value starts with this marker and its 4-byte id, so the bytes of one entry can be
// recognised wherever they turn up; the filler after them never repeats the marker.
const MARKER = [0x01, 0x50, 0x52, 0x42] as const;

interface Probe {
  readonly store: Store;
  readonly key: string;
  readonly id: number;
  readonly value: Uint8Array;
}

function probeValue(id: number, length: number): Uint8Array {
  const value = new Uint8Array(Math.max(8, length));
  value.set(MARKER);
  new DataView(value.buffer).setUint32(4, id);
  for (let i = 8; i < value.length; i++) value[i] = (id * 7 + i) & 0x7f;
  return value;
}

/** Ids of probe values in `buffer` outside `[start, end)`. */
function probesIn(buffer: ArrayBufferLike, start: number, end: number): number[] {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const found: number[] = [];
  for (let i = 0; i + 8 <= bytes.length; i++) {
    if (i >= start && i < end) {
      i = end - 1;
      continue;
    }
    if (MARKER.every((b, j) => bytes[i + j] === b)) found.push(view.getUint32(i + 4));
  }
  return found;
}

/** Probes of many sizes in four namespaces: what a pooled allocator would pack side by side. */
function probes(store: Store): Probe[] {
  const spaces = [
    store,
    store.withNamespace('x'),
    nested(store, 'x', 'y'),
    store.withNamespace('z'),
  ];
  return spaces.flatMap((space, s) =>
    Array.from({ length: 40 }, (_, i) => {
      const id = s * 40 + i + 1;
      return { store: space, key: `probe-${i}`, id, value: probeValue(id, 8 + ((i * 37) % 300)) };
    }),
  );
}

/**
 * Reads every probe, checks its bytes and that its array's `.buffer` holds no other entry's,
 * scribbles over that whole buffer, then checks every probe still reads back unchanged.
 */
async function checkPrivateReads(entries: readonly Probe[], what: string): Promise<void> {
  const got = await Promise.all(entries.map((e) => e.store.get(e.key)));
  for (const [i, e] of entries.entries()) {
    const value = got[i];
    checkBytes(value, e.value, `${what}: get(${e.key})`);
    if (!(value instanceof Uint8Array)) continue;
    const others = probesIn(
      value.buffer,
      value.byteOffset,
      value.byteOffset + value.byteLength,
    ).filter((id) => id !== e.id);
    check(
      others.length === 0,
      `${what}: the .buffer of the array get(${e.key}) returned holds the bytes of ` +
        `${others.length} other entries`,
    );
  }
  for (const value of got) if (value instanceof Uint8Array) new Uint8Array(value.buffer).fill(0xee);
  const again = await Promise.all(entries.map((e) => e.store.get(e.key)));
  for (const [i, e] of entries.entries()) {
    checkBytes(
      again[i],
      e.value,
      `${what}: get(${e.key}) after writing through the .buffer of every array get returned`,
    );
  }
}

async function returnedBuffers({ store }: CaseContext): Promise<void> {
  const entries = probes(store);
  await Promise.all(
    entries.map((e, i) =>
      i % 2 === 0 ? e.store.set(e.key, e.value) : e.store.setIfAbsent(e.key, e.value),
    ),
  );
  await checkPrivateReads(entries, 'reading 160 entries in 4 namespaces');
}

async function inputBuffers({ store }: CaseContext): Promise<void> {
  // Every input is a view into one shared buffer, as Node's pooled Buffers are.
  const pool = new Uint8Array(64 * 1024);
  let offset = 0;
  const entries = probes(store);
  const writes = entries.map((e, i) => {
    pool.set(e.value, offset);
    const input =
      i % 3 === 0
        ? Buffer.from(pool.buffer, offset, e.value.length)
        : pool.subarray(offset, offset + e.value.length);
    offset += e.value.length;
    return i % 2 === 0 ? e.store.set(e.key, input) : e.store.setIfAbsent(e.key, input);
  });
  await Promise.all(writes);
  pool.fill(0xee);
  await checkPrivateReads(entries, "after writing through the inputs' shared .buffer");
}

async function otherRealm({ store }: CaseContext): Promise<void> {
  const foreign = runInNewContext('new Uint8Array([0, 1, 2, 254, 255])') as Uint8Array;
  const view = runInNewContext('new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4)') as Uint8Array;
  check(!(foreign instanceof Uint8Array), 'the vm array should come from another realm');
  await store.set('vm', foreign);
  checkBytes(await store.get('vm'), Uint8Array.from([0, 1, 2, 254, 255]), 'a vm Uint8Array');
  const wrote = await store.setIfAbsent('vm-view', view);
  check(
    wrote === true,
    `setIfAbsent of a vm Uint8Array view should resolve true, got ${show(wrote)}`,
  );
  checkBytes(await store.get('vm-view'), Uint8Array.from([1, 2, 3]), 'a vm Uint8Array view');
  for (const source of ['new Uint16Array([1, 2])', 'new DataView(new ArrayBuffer(2))']) {
    const value: unknown = runInNewContext(source);
    await checkRejects(
      () => loose(store, 'set')('vm-bad', value),
      'STORE_INVALID_VALUE',
      `set(k, a vm ${source})`,
    );
  }
  check(!(await store.exists('vm-bad')), 'a rejected vm value must write nothing');
}

/** A Uint8Array subclass whose `byteLength` getter lies. */
class LyingLength extends Uint8Array {
  override get byteLength(): number {
    return 1;
  }
}

async function lyingByteLength({ store }: CaseContext): Promise<void> {
  const backing = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
  const longer = backing.subarray(2, 5);
  Object.defineProperty(longer, 'byteLength', { get: () => 7 });
  const shorter = backing.subarray(2, 5);
  Object.defineProperty(shorter, 'byteLength', { get: () => 1 });
  const subclass = new LyingLength([1, 2, 3]);
  const want = Uint8Array.from([1, 2, 3]);
  await store.set('longer', longer);
  await store.set('shorter', shorter);
  await store.setIfAbsent('subclass', subclass);
  checkBytes(await store.get('longer'), want, 'a view whose byteLength claims more bytes');
  checkBytes(await store.get('shorter'), want, 'a view whose byteLength claims fewer bytes');
  checkBytes(await store.get('subclass'), want, 'a subclass whose byteLength getter lies');
}

function detached(): Uint8Array {
  const array = Uint8Array.from([1, 2, 3]);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

const NOT_UINT8ARRAYS: readonly (readonly [string, () => unknown])[] = [
  ['a detached Uint8Array', detached],
  ['a DataView', () => new DataView(new ArrayBuffer(4))],
  ['a Uint16Array', () => new Uint16Array([1, 2])],
  ['an Int8Array', () => new Int8Array([1, 2])],
  ['a Uint8ClampedArray', () => new Uint8ClampedArray([1, 2])],
  ['a Float64Array', () => new Float64Array([1, 2])],
  ['a BigUint64Array', () => new BigUint64Array([1n])],
  ['a SharedArrayBuffer', () => new SharedArrayBuffer(2)],
  [
    'a Uint16Array with the Uint8Array prototype',
    () => Object.setPrototypeOf(new Uint16Array([1, 2]), Uint8Array.prototype),
  ],
  [
    'an object posing as a Uint8Array',
    () => ({ [Symbol.toStringTag]: 'Uint8Array', length: 1, byteLength: 1, byteOffset: 0, 0: 1 }),
  ],
];

async function invalidViews({ store }: CaseContext): Promise<void> {
  await store.set('kept', 'original');
  for (const [name, make] of NOT_UINT8ARRAYS) {
    for (const method of ['set', 'setIfAbsent'] as const) {
      for (const key of ['new', 'kept']) {
        await checkRejects(
          () => loose(store, method)(key, make()),
          'STORE_INVALID_VALUE',
          `${method}(${key}, ${name})`,
        );
      }
    }
  }
  check(!(await store.exists('new')), 'a rejected value must write nothing');
  checkBytes(await store.get('kept'), 'original', 'a rejected value must not change the entry');
}

/** Value isolation through `.buffer`, other realms, lying lengths, other views (contract §1). */
export const isolationCases: readonly ConformanceCase[] = [
  {
    id: 'value.returned-buffer-private',
    title:
      "the .buffer of a returned array reveals no other entry's bytes and changes nothing stored",
    run: returnedBuffers,
  },
  {
    id: 'value.input-buffer-private',
    title: 'writing through the .buffer of arrays passed in changes nothing stored',
    run: inputBuffers,
  },
  {
    id: 'value.other-realm',
    title: 'accepts a Uint8Array from a vm context, and rejects its other views',
    run: otherRealm,
  },
  {
    id: 'value.lying-byte-length',
    title: "stores the view's real bytes whatever an overridden byteLength getter claims",
    run: lyingByteLength,
  },
  {
    id: 'value.invalid-views',
    title: 'rejects detached arrays, DataViews and other typed arrays with STORE_INVALID_VALUE',
    run: invalidViews,
  },
];
