import type { Store } from '@stores/core';
import fc from 'fast-check';
import {
  ConformanceError,
  check,
  checkBytes,
  checkRejects,
  describeError,
  show,
} from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { checkSameKeys, collectKeys } from './helpers.js';

// TTLs far longer than a run, so the model needs no clock and every run is deterministic.
const LONG_TTL = 1000;

// Three namespaces below a fresh run namespace: `p`, its child `p -> c`, and a sibling `pc`
// whose name extends `p`. `DESCENDANTS[i]` lists what deleteAll of namespace i must clear.
const NAMESPACES: readonly (readonly string[])[] = [['p'], ['p', 'c'], ['pc']];
const DESCENDANTS: readonly (readonly number[])[] = [[0, 1], [1], [2]];
// Few keys, so operations in different namespaces often meet on the same key.
const KEYS: readonly string[] = ['', 'k', 'c:k'];

type Op =
  | {
      op: 'set' | 'setIfAbsent';
      ns: number;
      key: string;
      value: Uint8Array | string;
      expires: boolean;
    }
  | { op: 'get'; ns: number; key: string; renew: boolean }
  | { op: 'increment'; ns: number; key: string; by: number; expires: boolean }
  | { op: 'delete' | 'exists' | 'expiresIn' | 'touch'; ns: number; key: string }
  | { op: 'keys'; ns: number; prefix: string | undefined }
  | { op: 'deleteAll'; ns: number };

const ns = fc.integer({ min: 0, max: NAMESPACES.length - 1 });
const key = fc.constantFrom(...KEYS);
// Counters and near-counters meet increment often; raw bytes and strings test everything else.
const value = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('0', '41', '-7', '01', '+1', 'x'),
);
// Weighted towards writes so that entries pile up across namespaces before reads and deletes.
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      ns,
      key,
      value,
      expires: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('setIfAbsent' as const),
      ns,
      key,
      value,
      expires: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('increment' as const),
      ns,
      key,
      by: fc.integer({ min: -3, max: 3 }),
      expires: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('touch' as const), ns, key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('keys' as const),
      ns,
      prefix: fc.constantFrom(undefined, '', 'c', 'c:', 'k'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('get' as const), ns, key, renew: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), ns, key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('exists' as const), ns, key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('expiresIn' as const), ns, key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteAll' as const), ns }) },
);

interface ModelEntry {
  bytes: Uint8Array;
  expires: boolean;
}

const toBytes = (value: Uint8Array | string): Uint8Array =>
  typeof value === 'string' ? new TextEncoder().encode(value) : value.slice();

/** The integer the model says `increment` reads from `bytes`, or undefined if it is none. */
function counterOf(bytes: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(bytes);
  return /^(?:0|-?[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text))
    ? Number(text)
    : undefined;
}

/** Applies `op` to the store and the model and checks they agree. */
async function step(
  stores: readonly Store[],
  model: Map<string, ModelEntry>[],
  op: Op,
): Promise<void> {
  const store = stores[op.ns];
  const entries = model[op.ns];
  if (store === undefined || entries === undefined) throw new Error(`no namespace ${op.ns}`);
  const what = `${op.op} in namespace ${NAMESPACES[op.ns]?.join(' -> ')}`;
  switch (op.op) {
    case 'set':
      await store.set(op.key, op.value, op.expires ? { expiresIn: LONG_TTL } : undefined);
      entries.set(op.key, { bytes: toBytes(op.value), expires: op.expires });
      return;
    case 'get': {
      const got = await store.get(op.key, op.renew ? { renewFor: LONG_TTL } : undefined);
      const want = entries.get(op.key);
      if (want === undefined) check(got === null, `${what}: expected null, got ${show(got)}`);
      else checkBytes(got, want.bytes, `${what} ${show(op.key)}`);
      return;
    }
    case 'delete': {
      const got = await store.delete(op.key);
      check(got === entries.has(op.key), `${what} ${show(op.key)}: got ${show(got)}`);
      entries.delete(op.key);
      return;
    }
    case 'exists': {
      const got = await store.exists(op.key);
      check(got === entries.has(op.key), `${what} ${show(op.key)}: got ${got}`);
      return;
    }
    case 'expiresIn': {
      const got = await store.expiresIn(op.key);
      const want = entries.get(op.key);
      if (want === undefined) check(got === null, `${what}: expected null, got ${show(got)}`);
      else if (!want.expires)
        check(got === Infinity, `${what}: expected Infinity, got ${show(got)}`);
      else
        check(
          typeof got === 'number' && got > LONG_TTL - 100 && got <= LONG_TTL,
          `${what}: got ${show(got)}`,
        );
      return;
    }
    case 'setIfAbsent': {
      const options = op.expires ? { expiresIn: LONG_TTL } : undefined;
      const got = await store.setIfAbsent(op.key, op.value, options);
      check(got === !entries.has(op.key), `${what} ${show(op.key)}: got ${show(got)}`);
      if (got) entries.set(op.key, { bytes: toBytes(op.value), expires: op.expires });
      return;
    }
    case 'increment': {
      const options = { by: op.by, ...(op.expires ? { expiresIn: LONG_TTL } : {}) };
      const entry = entries.get(op.key);
      const current = entry === undefined ? 0 : counterOf(entry.bytes);
      if (current === undefined) {
        await checkRejects(() => store.increment(op.key, options), 'STORE_INVALID_VALUE', what);
        return;
      }
      const got = await store.increment(op.key, options);
      check(
        got === current + op.by,
        `${what} ${show(op.key)}: expected ${current + op.by}, got ${show(got)}`,
      );
      const bytes = new TextEncoder().encode(String(got));
      entries.set(op.key, { bytes, expires: entry === undefined ? op.expires : entry.expires });
      return;
    }
    case 'touch': {
      const got = await store.touch(op.key, { expiresIn: LONG_TTL });
      const entry = entries.get(op.key);
      check(got === (entry !== undefined), `${what} ${show(op.key)}: got ${show(got)}`);
      if (entry !== undefined) entry.expires = true;
      return;
    }
    case 'keys': {
      const options = op.prefix === undefined ? undefined : { prefix: op.prefix };
      const want = [...entries.keys()].filter((k) => k.startsWith(op.prefix ?? ''));
      checkSameKeys(await collectKeys(store, options), want, `${what} ${show(op.prefix)}`);
      return;
    }
    case 'deleteAll':
      await store.deleteAll();
      for (const i of DESCENDANTS[op.ns] ?? []) model[i]?.clear();
      return;
  }
}

/** One operation as a short line of a failure report, e.g. `set p -> c "k" = "v" (expires)`. */
function describeOp(op: Op): string {
  const where = `${NAMESPACES[op.ns]?.join(' -> ')}`;
  switch (op.op) {
    case 'set':
      return `set ${where} ${show(op.key)} = ${show(op.value)}${op.expires ? ' (expires)' : ''}`;
    case 'get':
      return `get ${where} ${show(op.key)}${op.renew ? ' (renew)' : ''}`;
    case 'setIfAbsent':
      return `setIfAbsent ${where} ${show(op.key)} = ${show(op.value)}${op.expires ? ' (expires)' : ''}`;
    case 'increment':
      return `increment ${where} ${show(op.key)} by ${op.by}${op.expires ? ' (expires)' : ''}`;
    case 'keys':
      return `keys ${where}${op.prefix === undefined ? '' : ` prefix ${show(op.prefix)}`}`;
    case 'deleteAll':
      return `deleteAll ${where}`;
    default:
      return `${op.op} ${where} ${show(op.key)}`;
  }
}

async function randomOperations({ store, seed }: CaseContext): Promise<void> {
  let run = 0;
  const details = await fc.check(
    fc.asyncProperty(
      fc.array(opArbitrary, { minLength: 1, maxLength: 40, size: 'max' }),
      async (ops) => {
        // Every run (and every shrink attempt) starts from a fresh, empty namespace.
        const base = store.withNamespace(`run-${run++}`);
        const stores = NAMESPACES.map((path) =>
          path.reduce((s, name) => s.withNamespace(name), base),
        );
        const model = NAMESPACES.map(() => new Map<string, ModelEntry>());
        for (const op of ops) await step(stores, model, op);
        await base.deleteAll();
      },
    ),
    { numRuns: 40, ...(seed === undefined ? {} : { seed }) },
  );
  if (!details.failed) return;
  // fast-check's own report omits the assertion; give the shrunk sequence and what broke.
  const [ops] = details.counterexample ?? [[]];
  throw new ConformanceError(
    `after the operations [${ops.map(describeOp).join('; ')}]: ${describeError(details.errorInstance)} (fast-check seed ${details.seed}; replay with the seed option)`,
    { cause: details.errorInstance },
  );
}

/** Random operation sequences over three namespaces, checked against an in-memory model. */
export const modelCase: ConformanceCase = {
  id: 'model.random-operations',
  title: 'random sequences of every operation over three namespaces match a reference model',
  run: randomOperations,
};
