import type { Store } from '@stores/core';
import fc from 'fast-check';
import { ConformanceError, check, checkBytes, describeError, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';

// TTLs far longer than a run, so the model needs no clock and every run is deterministic.
const LONG_TTL = 1000;

// Three namespaces below a fresh run namespace: `p`, its child `p -> c`, and a sibling `pc`
// whose name extends `p`. `DESCENDANTS[i]` lists what deleteAll of namespace i must clear.
const NAMESPACES: readonly (readonly string[])[] = [['p'], ['p', 'c'], ['pc']];
const DESCENDANTS: readonly (readonly number[])[] = [[0, 1], [1], [2]];
// Few keys, so operations in different namespaces often meet on the same key.
const KEYS: readonly string[] = ['', 'k', 'c:k'];

type Op =
  | { op: 'set'; ns: number; key: string; value: Uint8Array | string; expires: boolean }
  | { op: 'get'; ns: number; key: string; renew: boolean }
  | { op: 'delete' | 'exists' | 'expiresIn'; ns: number; key: string }
  | { op: 'deleteAll'; ns: number };

const ns = fc.integer({ min: 0, max: NAMESPACES.length - 1 });
const key = fc.constantFrom(...KEYS);
// Weighted towards writes so that entries pile up across namespaces before reads and deletes.
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      ns,
      key,
      value: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.string({ maxLength: 8 })),
      expires: fc.boolean(),
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
    case 'delete':
      await store.delete(op.key);
      entries.delete(op.key);
      return;
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
    case 'deleteAll':
      return `deleteAll ${where}`;
    default:
      return `${op.op} ${where} ${show(op.key)}`;
  }
}

async function randomOperations({ store }: CaseContext): Promise<void> {
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
    { numRuns: 40 },
  );
  if (!details.failed) return;
  // fast-check's own report omits the assertion; give the shrunk sequence and what broke.
  const [ops] = details.counterexample ?? [[]];
  throw new ConformanceError(
    `after the operations [${ops.map(describeOp).join('; ')}]: ${describeError(details.errorInstance)} (fast-check seed ${details.seed})`,
    { cause: details.errorInstance },
  );
}

/** Random operation sequences over three namespaces, checked against an in-memory model. */
export const modelCase: ConformanceCase = {
  id: 'model.random-operations',
  title: 'random set/get/delete/exists/expiresIn/deleteAll sequences match a reference model',
  run: randomOperations,
};
