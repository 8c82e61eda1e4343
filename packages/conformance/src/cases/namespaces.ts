import type { Store } from '@stores/core';
import { check, checkBytes, checkThrows, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { checkGone, checkNoExpiry, nested } from './helpers.js';

async function deleteRemoves({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v', { expiresIn: 100 });
  await store.set('other', 'o');
  await store.set('empty', '');
  const removed = await store.delete('k');
  check(removed === true, `delete of an entry should resolve true, got ${show(removed)}`);
  await checkGone(store, 'k', 'a deleted key');
  checkBytes(await store.get('other'), 'o', 'another key after a delete');
  const empty = await store.delete('empty');
  check(empty === true, `delete of an empty value should resolve true, got ${show(empty)}`);
}

async function deleteMissing({ store }: CaseContext): Promise<void> {
  const missing = await store.delete('missing');
  check(missing === false, `delete of a missing key should resolve false, got ${show(missing)}`);
  await store.set('k', 'v');
  await store.delete('k');
  const again = await store.delete('k');
  check(again === false, `a second delete should resolve false, got ${show(again)}`);
  await checkGone(store, 'k', 'a key deleted twice');
}

async function deleteExpired(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await store.set('k', 'v', { expiresIn: ttl });
  await ctx.waitPast(ttl);
  const removed = await store.delete('k');
  check(removed === false, `delete of an expired entry should resolve false, got ${show(removed)}`);
  await checkGone(store, 'k', 'an expired key after delete');
}

async function deleteAllOwn({ store }: CaseContext): Promise<void> {
  await Promise.all([
    store.set('a', 'v'),
    store.set('b', 'v', { expiresIn: 100 }),
    store.set('', 'v'),
  ]);
  await store.deleteAll();
  for (const key of ['a', 'b', '']) await checkGone(store, key, 'after deleteAll');
  await store.set('a', 'again');
  checkBytes(await store.get('a'), 'again', 'the store after deleteAll');
  await store.deleteAll();
  await store.deleteAll(); // on an empty namespace: a no-op
}

// Names that share a prefix or hold glob characters; deleteAll of one reaches no other.
const SIBLINGS: readonly string[] = ['a', 'ab', 'a*', 'a?', '[a]', 'b', 'a:', 'a_'];

async function deleteAllSpares({ store }: CaseContext): Promise<void> {
  const children = SIBLINGS.map((name) => store.withNamespace(name));
  for (const [v, victim] of children.entries()) {
    await store.set('k', 'parent');
    await Promise.all(children.map((child, i) => child.set('k', `sibling ${i}`)));
    await victim.deleteAll();
    check(!(await victim.exists('k')), `deleteAll of ${show(SIBLINGS[v])} should clear it`);
    checkBytes(
      await store.get('k'),
      'parent',
      `the parent after deleteAll of ${show(SIBLINGS[v])}`,
    );
    for (const [i, child] of children.entries()) {
      if (i === v) continue;
      checkBytes(
        await child.get('k'),
        `sibling ${i}`,
        `namespace ${show(SIBLINGS[i])} after deleteAll of ${show(SIBLINGS[v])}`,
      );
    }
  }
}

async function deleteAllDescendants({ store }: CaseContext): Promise<void> {
  const parent = store.withNamespace('p');
  const child = parent.withNamespace('c');
  const grandchild = child.withNamespace('g');
  const all = [store, parent, child, grandchild];
  await Promise.all(all.map((s) => s.set('k', 'v')));
  await parent.deleteAll();
  for (const [i, s] of [parent, child, grandchild].entries()) {
    await checkGone(s, 'k', `level ${i} below the namespace whose deleteAll ran`);
  }
  checkBytes(await store.get('k'), 'v', "the parent's entry after a child's deleteAll");
  await Promise.all(all.map((s) => s.set('k', 'v')));
  await store.deleteAll();
  for (const [i, s] of all.entries()) await checkGone(s, 'k', `level ${i} after deleteAll`);
}

async function deleteAllChild({ store }: CaseContext): Promise<void> {
  const parent = store.withNamespace('p');
  const child = parent.withNamespace('c');
  const sibling = parent.withNamespace('s');
  const grandchild = child.withNamespace('g');
  await Promise.all([parent, child, sibling, grandchild].map((s) => s.set('k', 'v')));
  await child.deleteAll();
  await checkGone(child, 'k', 'the child after its deleteAll');
  await checkGone(grandchild, 'k', 'the grandchild after the child deleteAll');
  checkBytes(await parent.get('k'), 'v', "the parent after a child's deleteAll");
  checkBytes(await sibling.get('k'), 'v', "a sibling after a child's deleteAll");
}

async function namespaceIsolated({ store }: CaseContext): Promise<void> {
  const child = store.withNamespace('n');
  await store.set('k', 'parent');
  await child.set('k', 'child', { expiresIn: 100 });
  checkBytes(await store.get('k'), 'parent', 'the parent key');
  checkBytes(await child.get('k'), 'child', 'the same key in a namespace');
  await checkNoExpiry(store, 'k', "the parent's key keeps its own expiry");
  await child.delete('k');
  checkBytes(await store.get('k'), 'parent', "the parent's key after the child's delete");
  check(!(await child.exists('k')), 'the child key after its delete');
  check(!(await store.exists('n')), 'a namespace name is not a key of the parent');
  const again = store.withNamespace('n');
  await again.set('shared', 'v');
  checkBytes(await child.get('shared'), 'v', 'two handles on one namespace see the same data');
}

// [namespace path, key] pairs that a joining scheme without escaping would merge.
const INJECTIVE: readonly (readonly [readonly string[], string])[] = [
  [['a', 'b'], 'k'],
  [['a/b'], 'k'],
  [['a_b'], 'k'],
  [['a:b'], 'k'],
  [['a\\b'], 'k'],
  [['a.b'], 'k'],
  [['a', 'b:c'], 'k'],
  [['a:b', 'c'], 'k'],
  [['a', 'b_c'], 'k'],
  [['a_b', 'c'], 'k'],
  [['a', 'b', 'c'], 'k'],
  [['a'], 'b:k'],
  [['a'], 'b_k'],
  [['a'], 'b/k'],
  [[], 'a:b:k'],
  [[], 'a_b_k'],
  [[], 'a/b/k'],
  [['a'], 'k'],
  [['A'], 'k'],
  [[], 'a:k'],
  [['1'], ':a|k'],
  [['1:a'], 'k'],
];

async function namespaceInjective({ store }: CaseContext): Promise<void> {
  const stores = INJECTIVE.map(([path]) => nested(store, ...path));
  await Promise.all(stores.map((s, i) => s.set(INJECTIVE[i]?.[1] ?? '', `entry ${i}`)));
  for (const [i, [path, key]] of INJECTIVE.entries()) {
    const s = stores[i];
    if (s === undefined) continue;
    checkBytes(
      await s.get(key),
      `entry ${i}`,
      `namespace ${show(path.join(' -> '))}, key ${show(key)}`,
    );
  }
}

async function namespaceNames({ store }: CaseContext): Promise<void> {
  const names = ['..', '.', '/', '\\', '*', '?', '[x]', ' ', 'é', 'e\u0301', '😀', '\0', 'CON'];
  const stores = names.map((name) => store.withNamespace(name));
  await Promise.all(stores.map((s, i) => s.set('k', `ns ${i}`)));
  for (const [i, s] of stores.entries()) {
    checkBytes(await s.get('k'), `ns ${i}`, `namespace ${show(names[i])}`);
  }
  const bad: readonly unknown[] = ['', 1, null, undefined, {}, '\uD800'];
  for (const name of bad) {
    checkThrows(
      () => (store.withNamespace as (n: unknown) => Store).call(store, name),
      'STORE_INVALID_ARGUMENT',
      `withNamespace(${show(name)})`,
    );
  }
}

/** delete, deleteAll and namespaces. */
export const namespaceCases: readonly ConformanceCase[] = [
  {
    id: 'delete.removes',
    title: 'removes one entry and nothing else, resolving true',
    run: deleteRemoves,
  },
  {
    id: 'delete.missing',
    title: 'is a no-op for a missing key, resolving false',
    run: deleteMissing,
  },
  {
    id: 'delete.expired',
    title: 'resolves false for an expired entry',
    run: deleteExpired,
  },
  { id: 'deleteAll.own-entries', title: 'removes every entry of the namespace', run: deleteAllOwn },
  {
    id: 'deleteAll.spares-siblings',
    title: 'never reaches sibling namespaces sharing a prefix or glob characters',
    run: deleteAllSpares,
  },
  {
    id: 'deleteAll.reaches-descendants',
    title: 'reaches children and grandchildren',
    run: deleteAllDescendants,
  },
  {
    id: 'deleteAll.child-spares-parent',
    title: "a child's deleteAll never reaches its parent or siblings",
    run: deleteAllChild,
  },
  { id: 'namespace.isolated', title: 'a namespace has its own keys', run: namespaceIsolated },
  {
    id: 'namespace.injective',
    title: 'distinct namespace paths and keys never collide',
    run: namespaceInjective,
  },
  {
    id: 'namespace.names',
    title: 'accepts any non-empty name and rejects invalid ones with STORE_INVALID_ARGUMENT',
    run: namespaceNames,
  },
];
