import type { Store } from '@stores/core';
import { check, checkBytes, checkRejects, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { ADVERSARIAL_KEYS, checkSameKeys, collectKeys } from './helpers.js';

/** Writes `keys` (value: the key) a hundred at a time, so a file backend keeps few files open. */
async function writeAll(store: Store, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map((key) => store.set(key, key)));
  }
}

async function keysOwnEntries({ store }: CaseContext): Promise<void> {
  const iterator = store.keys();
  check(
    typeof iterator.next === 'function' && iterator[Symbol.asyncIterator]() === iterator,
    'keys() should return an async iterable iterator',
  );
  checkSameKeys(await collectKeys(store), [], 'keys() of an empty store');
  const keys = [...ADVERSARIAL_KEYS, 'k'.repeat(10_240)];
  await writeAll(store, keys);
  checkSameKeys(await collectKeys(store), keys, 'keys() after writing adversarial keys');
  await store.delete('');
  await store.delete('a/b');
  const left = keys.filter((key) => key !== '' && key !== 'a/b');
  checkSameKeys(await collectKeys(store), left, 'keys() after two deletes');
}

async function keysOwnNamespace({ store }: CaseContext): Promise<void> {
  const child = store.withNamespace('a');
  const grandchild = child.withNamespace('b');
  const sibling = store.withNamespace('ab');
  await Promise.all([
    store.set('k', 'v'),
    store.set('parent-only', 'v'),
    child.set('k', 'v'),
    child.set('child-only', 'v'),
    grandchild.set('k', 'v'),
    grandchild.set('grandchild-only', 'v'),
    sibling.set('sibling-only', 'v'),
  ]);
  checkSameKeys(await collectKeys(store), ['k', 'parent-only'], "the parent's keys()");
  checkSameKeys(await collectKeys(child), ['k', 'child-only'], "a child's keys()");
  checkSameKeys(await collectKeys(grandchild), ['k', 'grandchild-only'], "a grandchild's keys()");
  checkSameKeys(await collectKeys(sibling), ['sibling-only'], "a sibling's keys()");
  checkSameKeys(
    await collectKeys(store, { prefix: 'a' }),
    [],
    "the parent's keys({ prefix: 'a' }) (namespace names are not keys)",
  );
  checkSameKeys(await collectKeys(store.withNamespace('never')), [], 'an unused namespace');
}

// Keys and prefixes full of glob, regex, LIKE and escape characters: a prefix is literal.
const PREFIX_KEYS: readonly string[] = [
  '',
  'a',
  'a*',
  'a*b',
  'ab',
  'a?',
  'a?b',
  'a[b]',
  'a[',
  'a]',
  'a\\',
  'a\\b',
  'a\\*',
  'a.b',
  'a%',
  'a_',
  'a:b',
  'a/b',
  'a{b}',
  '*',
  '?',
  '[',
  ']',
  '\\',
  '^a',
  '$',
  'b',
  'ba',
  'A',
  '\u00e9',
  'e\u0301',
  '😀',
];
const PREFIXES: readonly string[] = [
  '',
  'a',
  'a*',
  'a*b',
  'a?',
  'a[',
  'a[b',
  'a\\',
  'a\\*',
  'a.',
  'a%',
  'a_',
  'a:',
  'a/',
  'a{',
  '*',
  '?',
  '[',
  ']',
  '\\',
  '.',
  '^',
  '$',
  'e',
  '\u00e9',
  'A',
  '😀',
  'zz',
  'a*bc',
];

async function keysPrefix({ store }: CaseContext): Promise<void> {
  await writeAll(store, PREFIX_KEYS);
  for (const prefix of PREFIXES) {
    checkSameKeys(
      await collectKeys(store, { prefix }),
      PREFIX_KEYS.filter((key) => key.startsWith(prefix)),
      `keys({ prefix: ${show(prefix)} })`,
    );
  }
}

async function keysExpired(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await Promise.all([
    store.set('live', 'v'),
    store.set('long', 'v', { expiresIn: 100 }),
    ...Array.from({ length: 5 }, (_, i) => store.set(`short-${i}`, 'v', { expiresIn: ttl })),
    store.increment('counter', { expiresIn: ttl }),
  ]);
  await ctx.waitPast(ttl);
  checkSameKeys(await collectKeys(store), ['live', 'long'], 'keys() after some keys expired');
  checkSameKeys(
    await collectKeys(store, { prefix: 'short' }),
    [],
    "keys({ prefix: 'short' }) after those keys expired",
  );
}

async function keysExactlyOnce({ store }: CaseContext): Promise<void> {
  const stable = Array.from({ length: 2000 }, (_, i) => `stable-${i}`);
  const churn = Array.from({ length: 500 }, (_, i) => `churn-${i}`);
  // Interleaved, so a listing by position shifts under the deletes of churned keys.
  await writeAll(
    store,
    stable.flatMap((key, i) => (i % 4 === 3 ? [key, `churn-${(i - 3) / 4}`] : [key])),
  );
  const counts = new Map<string, number>();
  let step = 0;
  for await (const key of store.keys()) {
    counts.set(key, (counts.get(key) ?? 0) + 1);
    // Every fourth key: write a new key, delete a churned one, overwrite a stable one.
    if (step % 4 === 0) {
      const n = step / 4;
      await Promise.all([
        store.set(`new-${n}`, 'v'),
        n < churn.length ? store.delete(`churn-${n}`) : Promise.resolve(),
        store.set(`stable-${(n * 7) % stable.length}`, 'overwritten'),
      ]);
    }
    step++;
  }
  const wrong = stable.filter((key) => counts.get(key) !== 1);
  check(
    wrong.length === 0,
    `${wrong.length} of 2000 keys present for the whole iteration were not yielded exactly once ` +
      `(${wrong
        .slice(0, 3)
        .map((key) => `${key}: ${counts.get(key) ?? 0} times`)
        .join(', ')})`,
  );
  const foreign = [...counts.keys()].filter((key) => !/^(stable|churn|new)-\d+$/.test(key));
  check(foreign.length === 0, `keys() yielded keys never written: ${show(foreign.slice(0, 5))}`);
}

async function keysBreakEarly({ store }: CaseContext): Promise<void> {
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
  await writeAll(store, keys);
  for (let round = 0; round < 5; round++) {
    let seen = 0;
    for await (const _key of store.keys()) {
      if (++seen === 3) break;
    }
    check(seen === 3, `an iteration broken off after 3 keys saw ${seen}`);
  }
  const iterator = store.keys({ prefix: 'k1' });
  const first = await iterator.next();
  check(first.done !== true, 'the first next() of a non-empty keys() should yield a key');
  check(typeof iterator.return === 'function', 'keys() should return an iterator with return()');
  const ended = await iterator.return();
  check(ended.done === true, 'return() should end the iteration');
  const after = await iterator.next();
  check(after.done === true, 'next() after return() should be done');
  checkSameKeys(await collectKeys(store), keys, 'a full keys() after iterations broken off');
  await store.set('k0', 'again');
  checkBytes(await store.get('k0'), 'again', 'the store after iterations broken off');
}

async function keysInvalidOptions({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v');
  for (const prefix of [1, null, {}, ['k'], true]) {
    await checkRejects(
      () => collectKeys(store, { prefix }),
      'STORE_INVALID_ARGUMENT',
      `keys({ prefix: ${show(prefix)} })`,
    );
  }
}

/** keys (contract §8). */
export const keysCases: readonly ConformanceCase[] = [
  {
    id: 'keys.own-entries',
    title: 'yields every key of the namespace once, adversarial and empty keys included',
    run: keysOwnEntries,
  },
  {
    id: 'keys.own-namespace-only',
    title: "yields neither a child namespace's keys nor a parent's nor a sibling's",
    run: keysOwnNamespace,
  },
  {
    id: 'keys.prefix',
    title: 'filters by a literal prefix, glob and escape characters included',
    run: keysPrefix,
  },
  { id: 'keys.expired-excluded', title: 'never yields an expired key', run: keysExpired },
  {
    id: 'keys.exactly-once',
    title: 'yields each of 2,000 keys present throughout exactly once while others change',
    run: keysExactlyOnce,
  },
  {
    id: 'keys.break-early',
    title: 'breaking out of the loop ends the iteration, and a new one sees everything',
    run: keysBreakEarly,
  },
  {
    id: 'keys.invalid-options',
    title: 'rejects a prefix that is not a string with STORE_INVALID_ARGUMENT',
    run: keysInvalidOptions,
  },
];
