import { type ExpirySweepingStore, type Store, StoreRegistry } from '@stores/core';
import { check, checkBytes, checkRejects, checkThrows, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { collectKeys, filled } from './helpers.js';

async function capabilitiesFrozen({ store }: CaseContext): Promise<void> {
  const { capabilities } = store;
  check(Object.isFrozen(capabilities), 'capabilities should be frozen');
  for (const name of ['persistent', 'shared', 'nativeExpiry', 'deleteExpired'] as const) {
    check(typeof capabilities[name] === 'boolean', `capabilities.${name} should be a boolean`);
  }
  const child = store.withNamespace('c').capabilities;
  check(
    JSON.stringify(child) === JSON.stringify(capabilities),
    'a namespace should have the same capabilities as its parent',
  );
  if (capabilities.deleteExpired) {
    const sweeps = typeof (store as Partial<ExpirySweepingStore>).deleteExpired === 'function';
    check(sweeps, 'capabilities.deleteExpired is true but the store has no deleteExpired()');
  }
}

/** Checks `delete`, `setIfAbsent`, `increment`, `touch` and `keys` reject with STORE_CLOSED. */
async function checkClosedKeyMethods(store: Store, when: string): Promise<void> {
  const closed = 'STORE_CLOSED';
  await checkRejects(() => store.delete('k'), closed, `delete ${when}`);
  await checkRejects(() => store.setIfAbsent('n', 'v'), closed, `setIfAbsent ${when}`);
  await checkRejects(() => store.increment('n'), closed, `increment ${when}`);
  await checkRejects(() => store.touch('k', { expiresIn: 1 }), closed, `touch ${when}`);
  await checkRejects(() => collectKeys(store), closed, `keys() ${when}`);
}

async function closedRejects({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v');
  await store.close();
  const closed = 'STORE_CLOSED';
  await checkRejects(() => store.set('k', 'v'), closed, 'set after close');
  await checkRejects(() => store.get('k'), closed, 'get after close');
  await checkRejects(
    () => store.get('k', { renewFor: 1 }),
    closed,
    'get with renewFor after close',
  );
  await checkRejects(() => store.deleteAll(), closed, 'deleteAll after close');
  await checkRejects(() => store.exists('k'), closed, 'exists after close');
  await checkRejects(() => store.expiresIn('k'), closed, 'expiresIn after close');
  await checkClosedKeyMethods(store, 'after close');
  checkThrows(() => store.withNamespace('n'), closed, 'withNamespace after close');
  if (store.capabilities.deleteExpired) {
    const sweeping = store as ExpirySweepingStore;
    await checkRejects(() => sweeping.deleteExpired(), closed, 'deleteExpired after close');
  }
}

async function closeIdempotent({ store }: CaseContext): Promise<void> {
  await Promise.all([store.close(), store.close()]);
  await store.close();
  await checkRejects(() => store.get('k'), 'STORE_CLOSED', 'get after three closes');
}

async function asyncDispose({ store }: CaseContext): Promise<void> {
  const dispose = store[Symbol.asyncDispose];
  check(typeof dispose === 'function', 'the store should have [Symbol.asyncDispose]()');
  await dispose.call(store);
  await checkRejects(() => store.get('k'), 'STORE_CLOSED', 'get after Symbol.asyncDispose');
}

async function childCloseLeavesParent({ store }: CaseContext): Promise<void> {
  const child = store.withNamespace('c');
  const sibling = store.withNamespace('s');
  await Promise.all([store.set('k', 'parent'), child.set('k', 'child'), sibling.set('k', 's')]);
  await child.close();
  await checkRejects(() => child.get('k'), 'STORE_CLOSED', 'the closed child');
  checkBytes(await store.get('k'), 'parent', 'the parent after its child closed');
  checkBytes(await sibling.get('k'), 's', 'a sibling after a child closed');
  await store.set('k2', 'still writable');
  checkBytes(await store.get('k2'), 'still writable', 'a write to the parent after a child closed');
  checkBytes(
    await store.withNamespace('c').get('k'),
    'child',
    "a new handle on the closed child's namespace keeps its data",
  );
}

async function parentClosesChildren({ store }: CaseContext): Promise<void> {
  const child = store.withNamespace('c');
  const grandchild = child.withNamespace('g');
  await grandchild.set('k', 'v');
  await store.close();
  await checkRejects(() => child.get('k'), 'STORE_CLOSED', 'a child of a closed store');
  await checkRejects(
    () => grandchild.set('k', 'v'),
    'STORE_CLOSED',
    'a grandchild of a closed store',
  );
  checkThrows(() => child.withNamespace('x'), 'STORE_CLOSED', 'withNamespace on a closed child');
}

async function ancestorClosed({ store }: CaseContext): Promise<void> {
  const grandchild = store.withNamespace('c').withNamespace('g');
  await Promise.all(Array.from({ length: 5 }, (_, i) => grandchild.set(`k${i}`, 'v')));
  const started = grandchild.keys();
  const first = await started.next();
  check(first.done !== true, 'keys() of a grandchild with 5 entries should yield');
  await store.close();
  await checkClosedKeyMethods(grandchild, 'of a grandchild after its ancestor closed');
  await checkRejects(
    // Whatever the iterator had buffered, draining it must end in STORE_CLOSED, not in done.
    async () => {
      let next = await started.next();
      while (next.done !== true) next = await started.next();
    },
    'STORE_CLOSED',
    "a grandchild's keys() iteration begun before the close",
  );
}

async function concurrentSets({ store }: CaseContext): Promise<void> {
  const size = 64 * 1024;
  const values = Array.from({ length: 50 }, (_, i) => filled(size, i + 1));
  await Promise.all(values.map((value) => store.set('k', value)));
  const final = await store.get('k');
  check(final instanceof Uint8Array, `after 50 concurrent sets, get returned ${show(final)}`);
  const first = final[0] ?? 0;
  checkBytes(final, filled(size, first), 'after 50 concurrent sets (exactly one of the values)');
  check(first >= 1 && first <= 50, `the final value ${first} is none of those written`);
}

async function concurrentSetGet({ store }: CaseContext): Promise<void> {
  const size = 64 * 1024;
  const a = filled(size, 0xaa);
  const b = filled(size, 0xbb);
  await store.set('k', a);
  const reads: Promise<Uint8Array | null>[] = [];
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 25; i++) {
    writes.push(store.set('k', i % 2 === 0 ? b : a));
    reads.push(store.get('k'));
  }
  await Promise.all(writes);
  for (const value of await Promise.all(reads)) {
    check(value instanceof Uint8Array, `a read during writes returned ${show(value)}`);
    checkBytes(value, value[0] === 0xaa ? a : b, 'a read during concurrent writes');
  }
}

async function concurrentKeys({ store }: CaseContext): Promise<void> {
  const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
  await Promise.all(keys.map((key) => store.set(key, key, { expiresIn: 100 })));
  const values = await Promise.all(keys.map((key) => store.get(key)));
  for (const [i, key] of keys.entries()) checkBytes(values[i], key, `concurrently written ${key}`);
}

async function registryNamespaces({ store }: CaseContext): Promise<void> {
  const registry = new StoreRegistry({ defaultFactory: (name) => store.withNamespace(name) });
  const sessions = registry.get('sessions');
  check(registry.get('sessions') === sessions, 'get should return the cached store');
  const cache = registry.get('response_cache');
  await sessions.set('k', 'session');
  await cache.set('k', 'cache');
  checkBytes(await sessions.get('k'), 'session', 'the sessions store');
  checkBytes(await cache.get('k'), 'cache', 'the response_cache store');
  check(!(await store.exists('k')), "the registry's stores do not write into the root namespace");
  checkBytes(
    await store.withNamespace('sessions').get('k'),
    'session',
    'the registry store for a name is the namespace of that name',
  );
  check(registry.has('sessions') && !registry.has('rate_limit'), 'has() should reflect get()');
  check(
    JSON.stringify(registry.names()) === JSON.stringify(['sessions', 'response_cache']),
    `names() should list the created stores, got ${show(registry.names())}`,
  );
  await registry.close();
  await checkRejects(() => sessions.get('k'), 'STORE_CLOSED', 'a registry store after close()');
  checkBytes(
    await store.withNamespace('response_cache').get('k'),
    'cache',
    "closing the registry's namespaces leaves the root open and the data in place",
  );
}

async function registryRegister({ store }: CaseContext): Promise<void> {
  const registry = new StoreRegistry({ defaultFactory: (name) => store.withNamespace(name) });
  const custom = store.withNamespace('custom');
  registry.register('rate_limit', custom);
  check(registry.get('rate_limit') === custom, 'get should return the registered store');
  checkThrows(
    () => registry.register('rate_limit', store.withNamespace('other')),
    'STORE_ALREADY_REGISTERED',
    'registering a name twice',
  );
  const replacement = store.withNamespace('replacement');
  registry.register('rate_limit', replacement, { allowOverride: true });
  check(registry.get('rate_limit') === replacement, 'allowOverride should replace the store');
  await registry.get('rate_limit').set('k', 'v');
  checkBytes(await replacement.get('k'), 'v', 'the replacement store');
  check(!(await custom.exists('k')), 'the replaced store received no write');
  await registry.close();
}

async function registryCloseOnce({ store }: CaseContext): Promise<void> {
  let closes = 0;
  const child = store.withNamespace('twice');
  const counted = new Proxy(child, {
    get(target, property) {
      if (property === 'close') {
        return () => {
          closes++;
          return target.close();
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const registry = new StoreRegistry({ stores: { a: counted, b: counted } });
  await registry.close();
  await registry.close();
  check(closes === 1, `a store registered twice should be closed once, was closed ${closes} times`);
  await checkRejects(() => child.get('k'), 'STORE_CLOSED', 'the store after registry.close()');
  checkThrows(() => registry.get('a'), 'STORE_CLOSED', 'registry.get after close');
  await store.set('k', 'v');
  checkBytes(await store.get('k'), 'v', 'the root store after registry.close()');
}

/** Capabilities, close, concurrency and the registry. */
export const lifecycleCases: readonly ConformanceCase[] = [
  {
    id: 'capabilities.frozen',
    title: 'capabilities are a frozen, honest set of four booleans',
    run: capabilitiesFrozen,
  },
  {
    id: 'close.rejects-after',
    title: 'every method rejects with STORE_CLOSED after close',
    run: closedRejects,
  },
  { id: 'close.idempotent', title: 'close can be called more than once', run: closeIdempotent },
  { id: 'close.async-dispose', title: 'Symbol.asyncDispose closes the store', run: asyncDispose },
  {
    id: 'close.child-leaves-parent-open',
    title: "a child's close leaves its parent and siblings working",
    run: childCloseLeavesParent,
  },
  {
    id: 'close.parent-closes-children',
    title: 'closing a store closes its namespaces',
    run: parentClosesChildren,
  },
  {
    id: 'close.ancestor-closes-new-methods',
    title:
      "closing a store makes a grandchild's delete, setIfAbsent, increment, touch and keys reject",
    run: ancestorClosed,
  },
  {
    id: 'concurrency.same-key',
    title: 'concurrent sets of one key leave exactly one of the values',
    run: concurrentSets,
  },
  {
    id: 'concurrency.set-and-get',
    title: 'reads during concurrent sets return whole values, never a mix',
    run: concurrentSetGet,
  },
  {
    id: 'concurrency.many-keys',
    title: 'concurrent sets of many keys all land',
    run: concurrentKeys,
  },
  {
    id: 'registry.namespaces',
    title: 'a registry over withNamespace gives each name its own cached namespace',
    run: registryNamespaces,
  },
  {
    id: 'registry.register',
    title: 'register refuses a taken name unless allowOverride',
    run: registryRegister,
  },
  {
    id: 'registry.close-once',
    title: 'registry.close closes each store once',
    run: registryCloseOnce,
  },
];
