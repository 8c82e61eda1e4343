import { check, checkBytes, checkRejects, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import {
  ADVERSARIAL_KEYS,
  BAD_DURATIONS,
  checkGone,
  checkNoExpiry,
  checkRemaining,
  filled,
  loose,
  utf8,
} from './helpers.js';

const BAD_KEYS: readonly unknown[] = [
  1,
  null,
  undefined,
  {},
  ['k'],
  Symbol('k'),
  '\uD800',
  'a\uDC00b',
];
const BAD_VALUES: readonly unknown[] = [1, {}, null, undefined, [1, 2], true, new ArrayBuffer(2)];

async function keysDistinct({ store }: CaseContext): Promise<void> {
  await Promise.all(ADVERSARIAL_KEYS.map((key, i) => store.set(key, `value ${i}`)));
  for (const [i, key] of ADVERSARIAL_KEYS.entries()) {
    checkBytes(await store.get(key), `value ${i}`, `get(${show(key)})`);
    check(await store.exists(key), `exists(${show(key)}) should be true`);
  }
  await store.delete('');
  await checkGone(store, '', 'after delete("")');
  checkBytes(await store.get(' '), `value 1`, 'other keys survive delete("")');
}

async function longKeys({ store }: CaseContext): Promise<void> {
  const long = 'k'.repeat(10_240);
  const other = `${'k'.repeat(10_239)}K`;
  await store.set(long, 'long');
  await store.set(other, 'other');
  checkBytes(await store.get(long), 'long', 'get(10 KB key)');
  checkBytes(await store.get(other), 'other', 'get(10 KB key differing in its last character)');
  await store.delete(long);
  check(!(await store.exists(long)), 'a deleted 10 KB key should not exist');
  check(await store.exists(other), 'the other 10 KB key should survive');
}

async function invalidKeys({ store }: CaseContext): Promise<void> {
  const calls: readonly (readonly [string, (key: unknown) => Promise<unknown>])[] = [
    ['set', (key) => loose(store, 'set')(key, 'v')],
    ['get', (key) => loose(store, 'get')(key)],
    ['delete', (key) => loose(store, 'delete')(key)],
    ['exists', (key) => loose(store, 'exists')(key)],
    ['expiresIn', (key) => loose(store, 'expiresIn')(key)],
    ['setIfAbsent', (key) => loose(store, 'setIfAbsent')(key, 'v')],
    ['increment', (key) => loose(store, 'increment')(key)],
    ['touch', (key) => loose(store, 'touch')(key, { expiresIn: 10 })],
  ];
  for (const key of BAD_KEYS) {
    for (const [method, call] of calls) {
      await checkRejects(() => call(key), 'STORE_INVALID_KEY', `${method}(${show(key)})`);
    }
  }
  // A lone surrogate must not have been written as its U+FFFD look-alike.
  check(!(await store.exists('\uFFFD')), 'set("\\uD800") must not write "\\uFFFD"');
  check(!(await store.exists('a\uFFFDb')), 'set("a\\uDC00b") must not write "a\\uFFFDb"');
}

async function allBytes({ store }: CaseContext): Promise<void> {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const reversed = bytes.slice().reverse();
  await store.set('bytes', bytes);
  await store.set('reversed', reversed);
  checkBytes(await store.get('bytes'), bytes, 'all 256 byte values');
  checkBytes(await store.get('reversed'), reversed, 'all 256 byte values, reversed');
}

async function emptyValue({ store }: CaseContext): Promise<void> {
  await store.set('empty-bytes', new Uint8Array(0));
  await store.set('empty-string', '');
  for (const key of ['empty-bytes', 'empty-string']) {
    check(await store.exists(key), `exists(${key}) should be true for an empty value`);
    checkBytes(await store.get(key), new Uint8Array(0), `get(${key})`);
    await checkNoExpiry(store, key, key);
  }
}

async function largeValue({ store }: CaseContext): Promise<void> {
  const big = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
  await store.set('big', big);
  checkBytes(await store.get('big'), big, 'a 1 MiB value');
}

async function utf8Strings({ store }: CaseContext): Promise<void> {
  const texts = ['plain', 'héllo wörld', 'e\u0301 vs \u00e9', '😀👩‍👩‍👧', 'nul\0inside', '日本語'];
  await Promise.all(texts.map((text, i) => store.set(`text-${i}`, text)));
  for (const [i, text] of texts.entries()) {
    checkBytes(await store.get(`text-${i}`), utf8(text), `string value ${show(text)}`);
  }
}

async function viewsAndBuffers({ store }: CaseContext): Promise<void> {
  const backing = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
  await store.set('view', backing.subarray(2, 5));
  checkBytes(await store.get('view'), Uint8Array.from([1, 2, 3]), 'a Uint8Array view');
  await store.set('buffer', Buffer.from('buffer bytes'));
  checkBytes(await store.get('buffer'), 'buffer bytes', 'a Buffer');
}

async function overwrite({ store }: CaseContext): Promise<void> {
  await store.set('k', filled(1000, 7));
  await store.set('k', 'short');
  checkBytes(await store.get('k'), 'short', 'a shorter value over a longer one');
  await store.set('k', filled(2000, 8));
  checkBytes(await store.get('k'), filled(2000, 8), 'a longer value over a shorter one');
}

async function setCopiesInput({ store }: CaseContext): Promise<void> {
  const input = Uint8Array.from([1, 2, 3]);
  await store.set('k', input);
  input[0] = 99;
  input.fill(42, 1);
  checkBytes(
    await store.get('k'),
    Uint8Array.from([1, 2, 3]),
    'after mutating the array passed to set',
  );
}

async function getReturnsCopy({ store }: CaseContext): Promise<void> {
  await store.set('k', Uint8Array.from([1, 2, 3]));
  const first = await store.get('k');
  const second = await store.get('k');
  check(first instanceof Uint8Array && second instanceof Uint8Array, 'get should return bytes');
  check(first !== second, 'two gets should return two distinct arrays');
  first.fill(99);
  checkBytes(second, Uint8Array.from([1, 2, 3]), 'a second get after mutating the first result');
  checkBytes(await store.get('k'), Uint8Array.from([1, 2, 3]), 'a get after mutating a result');
}

async function invalidValues({ store }: CaseContext): Promise<void> {
  await store.set('kept', 'original');
  for (const value of BAD_VALUES) {
    for (const method of ['set', 'setIfAbsent'] as const) {
      const what = `${method}(key, ${show(value)})`;
      await checkRejects(() => loose(store, method)('new', value), 'STORE_INVALID_VALUE', what);
      await checkRejects(() => loose(store, method)('kept', value), 'STORE_INVALID_VALUE', what);
    }
  }
  check(!(await store.exists('new')), 'a rejected write must not write the key');
  checkBytes(await store.get('kept'), 'original', 'a rejected write must not change the entry');
}

async function invalidExpiresIn({ store }: CaseContext): Promise<void> {
  await store.set('kept', 'original');
  for (const expiresIn of BAD_DURATIONS) {
    for (const method of ['set', 'setIfAbsent'] as const) {
      const what = `${method} with expiresIn ${show(expiresIn)}`;
      const write = loose(store, method);
      await checkRejects(() => write('new', 'v', { expiresIn }), 'STORE_INVALID_ARGUMENT', what);
      await checkRejects(() => write('kept', 'v', { expiresIn }), 'STORE_INVALID_ARGUMENT', what);
    }
  }
  check(!(await store.exists('new')), 'a write with an invalid duration must write nothing');
  checkBytes(await store.get('kept'), 'original', 'an invalid duration must not change the entry');
  await checkNoExpiry(store, 'kept', 'an invalid duration must not add an expiry');
}

async function invalidRenewFor({ store }: CaseContext): Promise<void> {
  await store.set('expiring', 'e', { expiresIn: 100 });
  await store.set('forever', 'f');
  for (const renewFor of BAD_DURATIONS) {
    const get = loose(store, 'get');
    const what = `get with renewFor ${show(renewFor)}`;
    await checkRejects(() => get('expiring', { renewFor }), 'STORE_INVALID_ARGUMENT', what);
    await checkRejects(() => get('forever', { renewFor }), 'STORE_INVALID_ARGUMENT', what);
    await checkRejects(() => get('missing', { renewFor }), 'STORE_INVALID_ARGUMENT', what);
  }
  await checkRemaining(store, 'expiring', 90, 100, 'an invalid renewFor must keep the expiry');
  await checkNoExpiry(store, 'forever', 'an invalid renewFor must not add an expiry');
  check(!(await store.exists('missing')), 'an invalid renewFor must write nothing');
}

/** Keys, values and invalid input. */
export const dataCases: readonly ConformanceCase[] = [
  {
    id: 'key.adversarial-distinct',
    title: 'stores tricky keys distinctly and reads them back',
    run: keysDistinct,
  },
  {
    id: 'key.long',
    title: 'stores 10 KB keys differing in the last character distinctly',
    run: longKeys,
  },
  {
    id: 'key.invalid',
    title: 'every method rejects non-string and lone-surrogate keys with STORE_INVALID_KEY',
    run: invalidKeys,
  },
  { id: 'value.all-bytes', title: 'round-trips all 256 byte values', run: allBytes },
  {
    id: 'value.empty',
    title: 'treats the empty value as a value, not as missing',
    run: emptyValue,
  },
  { id: 'value.large', title: 'round-trips a 1 MiB value', run: largeValue },
  { id: 'value.utf8-string', title: 'stores a string as its UTF-8 bytes', run: utf8Strings },
  {
    id: 'value.views-and-buffers',
    title: 'stores exactly the bytes of a Uint8Array view or Buffer',
    run: viewsAndBuffers,
  },
  {
    id: 'value.overwrite',
    title: 'replaces a value completely, shorter or longer',
    run: overwrite,
  },
  {
    id: 'value.set-copies-input',
    title: 'is unaffected by mutating the array passed to set',
    run: setCopiesInput,
  },
  {
    id: 'value.get-returns-copy',
    title: 'is unaffected by mutating the array get returned',
    run: getReturnsCopy,
  },
  {
    id: 'value.invalid',
    title: 'set and setIfAbsent reject non-byte values with STORE_INVALID_VALUE, writing nothing',
    run: invalidValues,
  },
  {
    id: 'set.invalid-expires-in',
    title:
      'set and setIfAbsent reject invalid expiresIn with STORE_INVALID_ARGUMENT, writing nothing',
    run: invalidExpiresIn,
  },
  {
    id: 'get.invalid-renew-for',
    title: 'rejects invalid renewFor with STORE_INVALID_ARGUMENT and changes nothing',
    run: invalidRenewFor,
  },
];
