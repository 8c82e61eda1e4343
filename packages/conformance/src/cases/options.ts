import { StoreError } from '@stores/core';
import { check, checkBytes, checkRejects, describeError, settle, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { checkRemaining, collectKeys, loose } from './helpers.js';

async function unknownOptions({ store }: CaseContext): Promise<void> {
  await store.set('kept', '5', { expiresIn: 100 });
  const set = loose(store, 'set');
  const setIfAbsent = loose(store, 'setIfAbsent');
  const get = loose(store, 'get');
  const increment = loose(store, 'increment');
  const touch = loose(store, 'touch');
  // [the call as written, the option its error must name, the call]
  const calls: readonly (readonly [string, string, () => Promise<unknown>])[] = [
    ['set(k, v, { ttl: 10 })', 'ttl', () => set('new', 'v', { ttl: 10 })],
    [
      'set(k, v, { expiresIn: 10, ttl: 10 })',
      'ttl',
      () => set('kept', 'v', { expiresIn: 10, ttl: 10 }),
    ],
    ['setIfAbsent(k, v, { ttl: 10 })', 'ttl', () => setIfAbsent('new', 'v', { ttl: 10 })],
    ['get(k, { renew: 10 })', 'renew', () => get('kept', { renew: 10 })],
    ['increment(k, { step: 2 })', 'step', () => increment('kept', { step: 2 })],
    ['increment(k, { ttl: 10 })', 'ttl', () => increment('new', { ttl: 10 })],
    ['touch(k, { ttl: 10 })', 'ttl', () => touch('kept', { ttl: 10 })],
    [
      'touch(k, { expiresIn: 10, ttl: 10 })',
      'ttl',
      () => touch('kept', { expiresIn: 10, ttl: 10 }),
    ],
    ["keys({ pattern: 'k*' })", 'pattern', () => collectKeys(store, { pattern: 'k*' })],
  ];
  for (const [what, name, call] of calls) {
    const error = await checkRejects(call, 'STORE_INVALID_ARGUMENT', what);
    check(
      error.message.includes(name),
      `${what}: the error message should name '${name}', got ${show(error.message)}`,
    );
  }
  check(!(await store.exists('new')), 'a call with an unknown option must write nothing');
  checkBytes(await store.get('kept'), '5', 'a call with an unknown option must change nothing');
  await checkRemaining(
    store,
    'kept',
    90,
    100,
    'a call with an unknown option must keep the expiry',
  );
}

/** An options object whose getter throws a plain `RangeError`: a failure the store must wrap. */
const throwingOptions = (name: string): object =>
  Object.defineProperty({}, name, {
    enumerable: true,
    get() {
      throw new RangeError(`the ${name} getter failed`);
    },
  });

async function everyRejection({ store }: CaseContext): Promise<void> {
  const set = loose(store, 'set');
  const get = loose(store, 'get');
  const increment = loose(store, 'increment');
  const touch = loose(store, 'touch');
  // Whether each of these resolves is not the point: if it rejects, it rejects with a StoreError.
  const calls: readonly (readonly [string, () => Promise<unknown>])[] = [
    ["set(k, v, '10')", () => set('k', 'v', '10')],
    ['set(k, v, [10])', () => set('k', 'v', [10])],
    ['set(k, v, { expiresIn: 10n })', () => set('k', 'v', { expiresIn: 10n })],
    ['set(k, Symbol())', () => set('k', Symbol('v'))],
    ['set(k, v, a throwing getter)', () => set('k', 'v', throwingOptions('expiresIn'))],
    ['setIfAbsent(k, v, 10)', () => loose(store, 'setIfAbsent')('k', 'v', 10)],
    ['get(k, 5)', () => get('k', 5)],
    ['get(k, { renewFor: Symbol() })', () => get('k', { renewFor: Symbol('r') })],
    ['get(k, a throwing getter)', () => get('k', throwingOptions('renewFor'))],
    ["increment(k, 'x')", () => increment('k', 'x')],
    ['increment(k, { by: 10n })', () => increment('k', { by: 10n })],
    ['increment(k, a throwing getter)', () => increment('k', throwingOptions('by'))],
    ['touch(k, 5)', () => touch('k', 5)],
    ['touch(k, { expiresIn: Symbol() })', () => touch('k', { expiresIn: Symbol('e') })],
    ['touch(k, a throwing getter)', () => touch('k', throwingOptions('expiresIn'))],
    ["keys('k')", () => collectKeys(store, 'k')],
    ['keys({ prefix: Symbol() })', () => collectKeys(store, { prefix: Symbol('p') })],
    ['keys(a throwing getter)', () => collectKeys(store, throwingOptions('prefix'))],
    ['delete(Symbol())', () => loose(store, 'delete')(Symbol('k'))],
  ];
  for (const [what, call] of calls) {
    const settled = await settle(call, what);
    if (!settled.rejected) continue;
    check(
      StoreError.is(settled.error),
      `${what}: rejected with ${describeError(settled.error)}, not a StoreError`,
    );
  }
}

/** Options objects are checked; every rejection is a StoreError (contract §1). */
export const optionsCases: readonly ConformanceCase[] = [
  {
    id: 'options.unknown-rejected',
    title: 'every method rejects an unknown option with STORE_INVALID_ARGUMENT naming it',
    run: unknownOptions,
  },
  {
    id: 'errors.store-errors-only',
    title: 'odd arguments and failing option getters reject with a StoreError, never another error',
    run: everyRejection,
  },
];
