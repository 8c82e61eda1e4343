import { check, checkBytes, checkRejects, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import {
  BAD_DURATIONS,
  checkGone,
  checkNoExpiry,
  checkOneToN,
  checkRemaining,
  loose,
  utf8,
} from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Checks `actual === expected` for a method's resolved value. */
function checkResult(actual: unknown, expected: unknown, what: string): void {
  check(
    Object.is(actual, expected),
    `${what} should resolve ${show(expected)}, got ${show(actual)}`,
  );
}

async function setIfAbsentWrites({ store }: CaseContext): Promise<void> {
  checkResult(await store.setIfAbsent('k', 'first'), true, 'setIfAbsent of a missing key');
  checkBytes(await store.get('k'), 'first', 'the value setIfAbsent wrote');
  await checkNoExpiry(store, 'k', 'setIfAbsent without expiresIn');
  checkResult(await store.setIfAbsent('empty', new Uint8Array(0)), true, 'setIfAbsent of ""');
  checkBytes(await store.get('empty'), new Uint8Array(0), 'the empty value setIfAbsent wrote');
}

async function setIfAbsentKeeps({ store }: CaseContext): Promise<void> {
  await store.set('k', 'old', { expiresIn: 100 });
  checkResult(await store.setIfAbsent('k', 'new'), false, 'setIfAbsent of a present key');
  const withExpiry = await store.setIfAbsent('k', 'new', { expiresIn: 1000 });
  checkResult(withExpiry, false, 'setIfAbsent with expiresIn of a present key');
  checkBytes(await store.get('k'), 'old', 'a present value after setIfAbsent');
  await checkRemaining(store, 'k', 90, 100, 'a present entry keeps its expiry after setIfAbsent');
  await store.set('forever', 'f');
  await store.setIfAbsent('forever', 'x', { expiresIn: 10 });
  await checkNoExpiry(store, 'forever', 'a present entry without expiry after setIfAbsent');
  await store.set('empty', '');
  checkResult(await store.setIfAbsent('empty', 'x'), false, 'setIfAbsent over the empty value');
  checkBytes(await store.get('empty'), new Uint8Array(0), 'the empty value after setIfAbsent');
}

async function setIfAbsentExpired(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await store.set('k', 'old', { expiresIn: ttl });
  await store.set('forever', 'old', { expiresIn: ttl });
  await ctx.waitPast(ttl);
  const wrote = await store.setIfAbsent('k', 'new', { expiresIn: 100 });
  checkResult(wrote, true, 'setIfAbsent over an expired entry');
  checkBytes(await store.get('k'), 'new', 'the value setIfAbsent wrote over an expired entry');
  await checkRemaining(store, 'k', 90, 100, 'the entry setIfAbsent wrote has the new expiry');
  checkResult(await store.setIfAbsent('forever', 'new'), true, 'setIfAbsent over an expired entry');
  await checkNoExpiry(store, 'forever', "the expired entry's expiry must not linger");
}

async function setIfAbsentExpiresIn(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.2);
  checkResult(await store.setIfAbsent('k', 'v', { expiresIn: ttl }), true, 'setIfAbsent');
  await checkRemaining(store, 'k', 0, ttl, `setIfAbsent with expiresIn ${ttl}`);
  await store.setIfAbsent('long', 'v', { expiresIn: 100 });
  await checkRemaining(store, 'long', 90, 100, 'setIfAbsent with expiresIn 100');
  await ctx.waitPast(ttl);
  await checkGone(store, 'k', `an entry setIfAbsent wrote for ${ttl} s, after that time`);
}

async function setIfAbsentConcurrent({ store }: CaseContext): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => store.setIfAbsent('k', `value ${i}`)),
  );
  const winners = results.flatMap((won, i) => (won === true ? [i] : []));
  check(
    winners.length === 1,
    `50 concurrent setIfAbsent of one key: ${winners.length} resolved true, expected exactly 1`,
  );
  check(
    results.every((won) => typeof won === 'boolean'),
    `setIfAbsent should resolve booleans, got ${show(results.find((r) => typeof r !== 'boolean'))}`,
  );
  checkBytes(await store.get('k'), `value ${winners[0]}`, "the winner's value");
}

async function incrementMissing({ store }: CaseContext): Promise<void> {
  checkResult(await store.increment('a'), 1, 'increment of a missing key');
  checkResult(await store.increment('b', { by: 5 }), 5, 'increment by 5 of a missing key');
  checkResult(await store.increment('c', { by: -3 }), -3, 'increment by -3 of a missing key');
  checkResult(await store.increment('d', { by: 0 }), 0, 'increment by 0 of a missing key');
  checkResult(await store.increment('e', {}), 1, 'increment with {} of a missing key');
  const created: readonly (readonly [string, string])[] = [
    ['a', '1'],
    ['b', '5'],
    ['c', '-3'],
    ['d', '0'],
    ['e', '1'],
  ];
  for (const [key, bytes] of created) {
    checkBytes(await store.get(key), bytes, `the entry increment created as ${key}`);
    await checkNoExpiry(store, key, 'an entry increment created without expiresIn');
  }
}

async function incrementDefault({ store }: CaseContext): Promise<void> {
  for (let i = 1; i <= 5; i++) checkResult(await store.increment('k'), i, `increment #${i}`);
  checkBytes(await store.get('k'), '5', 'after five increments');
}

async function incrementNegative({ store }: CaseContext): Promise<void> {
  const steps: readonly (readonly [number, number])[] = [
    [2, 2],
    [-5, -3],
    [-9, -12],
    [12, 0],
    [-1, -1],
  ];
  for (const [by, result] of steps) {
    checkResult(await store.increment('k', { by }), result, `increment by ${by}`);
    checkBytes(await store.get('k'), String(result), `the entry after increment by ${by}`);
  }
}

async function incrementStoresDecimal({ store }: CaseContext): Promise<void> {
  // Canonical ASCII decimal, the bytes Redis INCRBY keeps: no '+', no leading zeros, no '-0'.
  const cases: readonly (readonly [string, readonly number[], string])[] = [
    ['max', [MAX], '9007199254740991'],
    ['min', [-MAX], '-9007199254740991'],
    ['zero', [7, -7], '0'],
    ['negative-zero', [-0], '0'],
    ['ten', [3, 7], '10'],
    ['minus-ten', [-10], '-10'],
  ];
  for (const [key, steps, bytes] of cases) {
    for (const by of steps) await store.increment(key, { by });
    checkBytes(await store.get(key), bytes, `get after increments by ${steps.join(', ')}`);
  }
}

async function incrementReadsSet({ store }: CaseContext): Promise<void> {
  const cases: readonly (readonly [string | Uint8Array, number, number])[] = [
    ['41', 1, 42],
    [utf8('41'), 1, 42],
    ['-7', 1, -6],
    ['0', 1, 1],
    ['-1', 1, 0],
    ['100', -250, -150],
    ['9007199254740990', 1, MAX],
    ['-9007199254740991', 1, -9007199254740990],
  ];
  for (const [i, [value, by, result]] of cases.entries()) {
    const key = `k${i}`;
    await store.set(key, value);
    const what = `set(k, ${show(value)}) then increment by ${by}`;
    checkResult(await store.increment(key, { by }), result, what);
    checkBytes(await store.get(key), String(result), `get after ${what}`);
  }
  await store.setIfAbsent('absent', '10');
  checkResult(await store.increment('absent'), 11, "setIfAbsent(k, '10') then increment");
}

async function incrementExpiresOnCreate(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  checkResult(await store.increment('k', { expiresIn: 100 }), 1, 'increment with expiresIn');
  await checkRemaining(store, 'k', 90, 100, 'an entry increment created with expiresIn 100');
  const ttl = ctx.ttl(0.2);
  await store.increment('short', { by: 3, expiresIn: ttl });
  await checkRemaining(store, 'short', 0, ttl, `an entry increment created for ${ttl} s`);
  await ctx.waitPast(ttl);
  await checkGone(store, 'short', `an entry increment created for ${ttl} s, after that time`);
}

async function incrementKeepsExpiry({ store }: CaseContext): Promise<void> {
  await store.increment('k', { expiresIn: 100 });
  checkResult(await store.increment('k', { expiresIn: 1000 }), 2, 'a second increment');
  await checkRemaining(store, 'k', 90, 100, 'an existing entry keeps its expiry (not expiresIn)');
  checkResult(await store.increment('k'), 3, 'a third increment');
  await checkRemaining(store, 'k', 90, 100, 'an increment without expiresIn keeps the expiry');
  await store.set('set', '5', { expiresIn: 100 });
  checkResult(await store.increment('set', { expiresIn: 10 }), 6, "set(k, '5') then increment");
  await checkRemaining(store, 'set', 90, 100, 'a set entry keeps its expiry through increment');
  await store.set('forever', '5');
  checkResult(await store.increment('forever', { expiresIn: 10 }), 6, 'increment of a set entry');
  await checkNoExpiry(store, 'forever', 'an entry without expiry stays without through increment');
}

async function incrementExpired(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await Promise.all([
    store.set('set', '41', { expiresIn: ttl }),
    store.increment('counted', { by: 10, expiresIn: ttl }),
    store.set('text', 'not a number', { expiresIn: ttl }),
  ]);
  await ctx.waitPast(ttl);
  checkResult(await store.increment('set', { expiresIn: 100 }), 1, 'increment of an expired 41');
  await checkRemaining(store, 'set', 90, 100, 'an expired entry gets the new expiry');
  checkResult(await store.increment('counted', { by: 2 }), 2, 'increment of an expired 10');
  await checkNoExpiry(store, 'counted', "the expired entry's expiry must not linger");
  checkResult(await store.increment('text'), 1, 'increment of an expired non-integer');
}

// Not the canonical decimal of a safe integer: each must be STORE_INVALID_VALUE.
const NOT_COUNTERS: readonly (string | Uint8Array)[] = [
  'abc',
  '1.5',
  '+1',
  '01',
  '00',
  ' 1',
  '1 ',
  '-0',
  '',
  '-',
  '1e3',
  '0x1',
  '1\0',
  '\u0661', // ARABIC-INDIC DIGIT ONE
  '\uFF11', // FULLWIDTH DIGIT ONE
  '9007199254740992',
  '-9007199254740992',
  '99999999999999999999',
  Uint8Array.from([0xff]),
  Uint8Array.from([0x31, 0x80]),
];

async function incrementInvalidEntry({ store }: CaseContext): Promise<void> {
  await Promise.all(
    NOT_COUNTERS.map(async (value, i) => {
      const key = `v${i}`;
      const what = `increment of an entry holding ${show(value)}`;
      await store.set(key, value, { expiresIn: 100 });
      await checkRejects(() => store.increment(key), 'STORE_INVALID_VALUE', what);
      await checkRejects(
        () => store.increment(key, { by: -1, expiresIn: 10 }),
        'STORE_INVALID_VALUE',
        what,
      );
      checkBytes(await store.get(key), value, `${what}: the entry must be unchanged`);
      await checkRemaining(store, key, 90, 100, `${what}: the expiry must be unchanged`);
    }),
  );
}

async function incrementOverflow({ store }: CaseContext): Promise<void> {
  const overflow = async (key: string, by: number, bytes: string): Promise<void> => {
    const what = `increment of ${bytes} by ${by}`;
    await checkRejects(() => store.increment(key, { by }), 'STORE_INVALID_ARGUMENT', what);
    checkBytes(await store.get(key), bytes, `${what}: the entry must be unchanged`);
  };
  await store.set('max', String(MAX), { expiresIn: 100 });
  await overflow('max', 1, String(MAX));
  await overflow('max', MAX, String(MAX));
  await checkRemaining(store, 'max', 90, 100, 'an overflowing increment keeps the expiry');
  await store.set('min', String(-MAX));
  await overflow('min', -1, String(-MAX));
  await checkNoExpiry(store, 'min', 'an overflowing increment adds no expiry');
  checkResult(await store.increment('fresh', { by: MAX }), MAX, 'increment by 2^53 - 1');
  await overflow('fresh', 1, String(MAX));
  checkResult(await store.increment('fresh', { by: -MAX }), 0, 'increment back to 0');
}

const BAD_BY: readonly unknown[] = [
  1.5,
  Number.NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  -(2 ** 53),
  1e300,
  '1',
  null,
  true,
  1n,
  {},
];

async function incrementInvalidOptions({ store }: CaseContext): Promise<void> {
  await store.set('kept', '5', { expiresIn: 100 });
  const increment = loose(store, 'increment');
  for (const key of ['new', 'kept']) {
    for (const by of BAD_BY) {
      const what = `increment(${key}, { by: ${show(by)} })`;
      await checkRejects(() => increment(key, { by }), 'STORE_INVALID_ARGUMENT', what);
    }
    for (const expiresIn of BAD_DURATIONS) {
      const what = `increment(${key}, { expiresIn: ${show(expiresIn)} })`;
      await checkRejects(() => increment(key, { expiresIn }), 'STORE_INVALID_ARGUMENT', what);
    }
  }
  check(!(await store.exists('new')), 'a rejected increment must create nothing');
  checkBytes(await store.get('kept'), '5', 'a rejected increment must not change the entry');
  await checkRemaining(store, 'kept', 90, 100, 'a rejected increment must keep the expiry');
}

async function incrementConcurrent({ store }: CaseContext): Promise<void> {
  const results = await Promise.all(Array.from({ length: 100 }, () => store.increment('k')));
  checkOneToN(results, 100, '100 concurrent increments');
  checkBytes(await store.get('k'), '100', 'after 100 concurrent increments');
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => store.increment('mixed', { by: i % 2 === 0 ? 3 : -1 })),
  );
  checkBytes(await store.get('mixed'), '100', 'after 50 concurrent +3 and 50 concurrent -1');
  const created = await Promise.all(
    Array.from({ length: 20 }, () => store.increment('created', { expiresIn: 100 })),
  );
  checkOneToN(created, 20, '20 concurrent increments creating one entry');
  await checkRemaining(store, 'created', 90, 100, 'concurrent increments creating one entry');
}

async function touchSetsExpiry({ store }: CaseContext): Promise<void> {
  const touch = async (key: string, expiresIn: number): Promise<void> =>
    checkResult(await store.touch(key, { expiresIn }), true, `touch(${key}, ${expiresIn})`);
  await store.set('forever', 'v');
  await touch('forever', 100);
  await checkRemaining(store, 'forever', 90, 100, 'touch of an entry without expiry');
  await store.set('long', 'v', { expiresIn: 1000 });
  await touch('long', 10);
  await checkRemaining(store, 'long', 0, 10, 'touch shortening an expiry');
  await store.set('short', 'v', { expiresIn: 10 });
  await touch('short', 1000);
  await checkRemaining(store, 'short', 990, 1000, 'touch lengthening an expiry');
  const month = 31 * 86_400;
  await touch('forever', month);
  await checkRemaining(store, 'forever', month - 10, month, 'touch for 31 days');
}

async function touchExpires(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.2);
  await store.set('k', 'v');
  checkResult(await store.touch('k', { expiresIn: ttl }), true, 'touch');
  await checkRemaining(store, 'k', 0, ttl, `touch for ${ttl} s`);
  await ctx.waitPast(ttl);
  await checkGone(store, 'k', `a key touched for ${ttl} s, after that time`);
}

async function touchMissing({ store }: CaseContext): Promise<void> {
  checkResult(await store.touch('missing', { expiresIn: 100 }), false, 'touch of a missing key');
  await checkGone(store, 'missing', 'a missing key after touch');
  await store.set('deleted', 'v');
  await store.delete('deleted');
  checkResult(await store.touch('deleted', { expiresIn: 100 }), false, 'touch of a deleted key');
  await checkGone(store, 'deleted', 'a deleted key after touch');
}

async function touchExpired(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await store.set('k', 'v', { expiresIn: ttl });
  await ctx.waitPast(ttl);
  checkResult(await store.touch('k', { expiresIn: 100 }), false, 'touch of an expired entry');
  await checkGone(store, 'k', 'an expired entry after touch');
}

async function touchKeepsValue({ store }: CaseContext): Promise<void> {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
  await store.set('bytes', bytes, { expiresIn: 10 });
  await store.set('empty', '');
  await store.increment('counter', { by: 41 });
  for (const key of ['bytes', 'empty', 'counter']) {
    checkResult(await store.touch(key, { expiresIn: 100 }), true, `touch(${key})`);
  }
  checkBytes(await store.get('bytes'), bytes, 'all 256 byte values after touch');
  checkBytes(await store.get('empty'), new Uint8Array(0), 'the empty value after touch');
  checkResult(await store.increment('counter'), 42, 'increment of a touched counter');
}

async function touchConcurrent({ store }: CaseContext): Promise<void> {
  // In either order a delete leaves the key gone and a set's value stays: touch rewrites nothing.
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      await Promise.all([store.set(`deleted-${i}`, 'v'), store.set(`set-${i}`, 'old')]);
      await Promise.all([
        store.touch(`deleted-${i}`, { expiresIn: 100 }),
        store.delete(`deleted-${i}`),
        store.touch(`set-${i}`, { expiresIn: 100 }),
        store.set(`set-${i}`, 'new'),
      ]);
      await checkGone(store, `deleted-${i}`, 'a key deleted concurrently with touch');
      checkBytes(await store.get(`set-${i}`), 'new', 'a key set concurrently with touch');
    }),
  );
}

async function touchInvalid({ store }: CaseContext): Promise<void> {
  await store.set('kept', 'v', { expiresIn: 100 });
  const touch = loose(store, 'touch');
  for (const key of ['kept', 'missing']) {
    await checkRejects(() => touch(key), 'STORE_INVALID_ARGUMENT', 'touch without options');
    await checkRejects(() => touch(key, {}), 'STORE_INVALID_ARGUMENT', 'touch with {}');
    for (const expiresIn of BAD_DURATIONS) {
      const what = `touch with expiresIn ${show(expiresIn)}`;
      await checkRejects(() => touch(key, { expiresIn }), 'STORE_INVALID_ARGUMENT', what);
    }
  }
  await checkRemaining(store, 'kept', 90, 100, 'a rejected touch must keep the expiry');
  await checkGone(store, 'missing', 'a rejected touch must create nothing');
}

/** setIfAbsent, increment and touch (contract §8). */
export const atomicCases: readonly ConformanceCase[] = [
  {
    id: 'setIfAbsent.absent',
    title: 'writes a missing key and resolves true',
    run: setIfAbsentWrites,
  },
  {
    id: 'setIfAbsent.present',
    title: 'leaves a present entry (the empty value too) and its expiry alone, resolving false',
    run: setIfAbsentKeeps,
  },
  {
    id: 'setIfAbsent.expired-is-absent',
    title: 'writes over an expired entry with the new expiry, resolving true',
    run: setIfAbsentExpired,
  },
  { id: 'setIfAbsent.expires-in', title: 'honours expiresIn', run: setIfAbsentExpiresIn },
  {
    id: 'setIfAbsent.concurrent-one-winner',
    title: 'of 50 concurrent calls on one key exactly one resolves true and its value is stored',
    run: setIfAbsentConcurrent,
  },
  {
    id: 'increment.missing',
    title: 'starts a missing key at `by` (default 1, negatives and 0 allowed), without expiry',
    run: incrementMissing,
  },
  { id: 'increment.default-by-one', title: 'adds 1 by default', run: incrementDefault },
  { id: 'increment.negative', title: 'adds negative amounts across zero', run: incrementNegative },
  {
    id: 'increment.stores-decimal',
    title: 'stores the canonical ASCII decimal that get returns (no +, no leading zeros, no -0)',
    run: incrementStoresDecimal,
  },
  {
    id: 'increment.reads-set-value',
    title: "adds to an integer written by set or setIfAbsent (set(k, '41') then increment is 42)",
    run: incrementReadsSet,
  },
  {
    id: 'increment.expires-in-on-create',
    title: 'applies expiresIn to the entry it creates',
    run: incrementExpiresOnCreate,
  },
  {
    id: 'increment.keeps-expiry',
    title: "leaves an existing entry's expiry, or its lack of one, whatever expiresIn says",
    run: incrementKeepsExpiry,
  },
  {
    id: 'increment.expired-is-zero',
    title: 'counts an expired entry as 0 and gives it the new expiry (or none)',
    run: incrementExpired,
  },
  {
    id: 'increment.invalid-entry',
    title:
      'rejects an entry that is not a canonical safe integer with STORE_INVALID_VALUE, unchanged',
    run: incrementInvalidEntry,
  },
  {
    id: 'increment.overflow',
    title: 'rejects a result beyond ±(2^53 − 1) with STORE_INVALID_ARGUMENT, unchanged',
    run: incrementOverflow,
  },
  {
    id: 'increment.invalid-options',
    title:
      'rejects a `by` that is not a safe integer and an invalid expiresIn with STORE_INVALID_ARGUMENT',
    run: incrementInvalidOptions,
  },
  {
    id: 'increment.concurrent-exact',
    title: 'concurrent increments of one key lose nothing and each resolves a distinct result',
    run: incrementConcurrent,
  },
  {
    id: 'touch.sets-expiry',
    title: 'sets the expiry whether or not the entry had one, longer or shorter, resolving true',
    run: touchSetsExpiry,
  },
  {
    id: 'touch.expires',
    title: 'a touched entry is gone once its new expiry has come',
    run: touchExpires,
  },
  {
    id: 'touch.missing',
    title: 'resolves false for a missing or deleted key, which stays missing',
    run: touchMissing,
  },
  {
    id: 'touch.expired',
    title: 'resolves false for an expired entry and revives nothing',
    run: touchExpired,
  },
  { id: 'touch.keeps-value', title: 'leaves the value bytes unchanged', run: touchKeepsValue },
  {
    id: 'touch.concurrent',
    title: 'never resurrects a concurrently deleted key nor undoes a concurrent set',
    run: touchConcurrent,
  },
  {
    id: 'touch.invalid-options',
    title: 'rejects a missing or invalid expiresIn with STORE_INVALID_ARGUMENT, changing nothing',
    run: touchInvalid,
  },
];
