import type { ExpirySweepingStore, Store } from '@stores/core';
import { check, checkBytes, show } from '../assertions.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { checkGone, checkInTime, checkNoExpiry, checkRemaining } from './helpers.js';

async function expiryUniform(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.2);
  // Each read gets its own key, so a read that lazily deletes cannot hide another's mistake.
  await Promise.all(
    ['by-get', 'by-exists', 'by-expiresIn', 'all'].map((key) =>
      store.set(key, 'v', { expiresIn: ttl }),
    ),
  );
  await store.set('control', 'c', { expiresIn: 1000 });
  await ctx.waitPast(ttl);
  const got = await store.get('by-get');
  check(got === null, `get of an expired key should be null, got ${show(got)}`);
  check(!(await store.exists('by-exists')), 'exists of an expired key should be false');
  const remaining = await store.expiresIn('by-expiresIn');
  check(remaining === null, `expiresIn of an expired key should be null, got ${show(remaining)}`);
  await checkGone(store, 'all', 'an expired key');
  checkBytes(await store.get('control'), 'c', 'a key with a long TTL is still there');
}

async function expiryBoundary(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.15);
  await store.set('k', 'v', { expiresIn: ttl });
  const setDone = performance.now();
  // Wait until exactly the TTL (+1 ms of resolution) has passed since the write was acknowledged.
  const due = setDone + ttl * 1000 + 1;
  while (performance.now() < due) {
    await new Promise((done) => setTimeout(done, Math.max(0, due - performance.now())));
  }
  check(!(await store.exists('k')), 'exists at the expiry time should be false (inclusive)');
  const remaining = await store.expiresIn('k');
  check(remaining === null, `expiresIn at the expiry time should be null, got ${show(remaining)}`);
  const value = await store.get('k');
  check(value === null, `get at the expiry time should be null, got ${show(value)}`);
}

async function presentBeforeExpiry({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v', { expiresIn: 100 });
  check(await store.exists('k'), 'a key with a TTL left should exist');
  checkBytes(await store.get('k'), 'v', 'a key with a TTL left');
  await checkRemaining(store, 'k', 90, 100, 'a key with 100 s to live');
}

async function setClearsExpiry(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.2);
  await store.set('k', 'old', { expiresIn: ttl });
  await store.set('k', 'new');
  await checkNoExpiry(store, 'k', 'set without expiresIn over an expiring key');
  await ctx.waitPast(ttl);
  checkBytes(await store.get('k'), 'new', 'the key after the old TTL');
}

async function setReplacesExpiry({ store }: CaseContext): Promise<void> {
  await store.set('longer', 'v', { expiresIn: 10 });
  await store.set('longer', 'v', { expiresIn: 1000 });
  await checkRemaining(store, 'longer', 990, 1000, 'a longer expiresIn replaces a shorter one');
  await store.set('shorter', 'v', { expiresIn: 1000 });
  await store.set('shorter', 'v', { expiresIn: 10 });
  await checkRemaining(store, 'shorter', 0, 10, 'a shorter expiresIn replaces a longer one');
  await store.set('added', 'v');
  await store.set('added', 'v', { expiresIn: 10 });
  await checkRemaining(store, 'added', 0, 10, 'expiresIn over a key without expiry');
}

async function getMissing({ store }: CaseContext): Promise<void> {
  const value = await store.get('missing');
  check(value === null, `get of a missing key should be null, got ${show(value)}`);
  check(!(await store.exists('missing')), 'exists of a missing key should be false');
}

async function renewKeepsNoExpiry({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v');
  checkBytes(await store.get('k', { renewFor: 10 }), 'v', 'get with renewFor');
  await checkNoExpiry(store, 'k', 'renewFor on a key without expiry');
}

async function renewResets({ store }: CaseContext): Promise<void> {
  await store.set('extend', 'v', { expiresIn: 5 });
  checkBytes(await store.get('extend', { renewFor: 100 }), 'v', 'get with renewFor');
  await checkRemaining(store, 'extend', 90, 100, 'renewFor 100 s over a 5 s TTL');
  await store.set('shorten', 'v', { expiresIn: 1000 });
  checkBytes(await store.get('shorten', { renewFor: 10 }), 'v', 'get with renewFor');
  await checkRemaining(store, 'shorten', 0, 10, 'renewFor 10 s over a 1000 s TTL');
}

async function renewLong({ store }: CaseContext): Promise<void> {
  for (const renewFor of [86_400, 90_000, 31 * 86_400]) {
    const key = `renew-${renewFor}`;
    await store.set(key, 'v', { expiresIn: 10 });
    checkBytes(await store.get(key, { renewFor }), 'v', `get with renewFor ${renewFor}`);
    check(await store.exists(key), `a key renewed for ${renewFor} s should exist`);
    checkBytes(await store.get(key), 'v', `a key renewed for ${renewFor} s`);
    await checkRemaining(store, key, renewFor - 10, renewFor, `renewFor ${renewFor}`);
  }
}

async function renewSubSecondRemaining({ store }: CaseContext): Promise<void> {
  // Under 0.5 s left is where a whole-second TTL reads 0; this TTL cannot be scaled above it.
  const ttl = 0.45;
  const started = performance.now();
  await store.set('k', 'v', { expiresIn: ttl });
  const value = await store.get('k', { renewFor: 100 });
  checkInTime(started, ttl, 'renewing a key with under 0.5 s left');
  checkBytes(value, 'v', 'get with renewFor on a key with under 0.5 s left');
  await checkRemaining(store, 'k', 90, 100, 'a key with under 0.5 s left renewed for 100 s');
}

async function renewToSubSecond(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const renewFor = ctx.ttl(0.25);
  await store.set('k', 'v', { expiresIn: 100 });
  checkBytes(await store.get('k', { renewFor }), 'v', `get with renewFor ${renewFor}`);
  await checkRemaining(store, 'k', 0, renewFor, `renewFor ${renewFor}`);
  await ctx.waitPast(renewFor);
  await checkGone(store, 'k', `a key renewed for ${renewFor} s, after that time`);
}

async function renewMissing(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const value = await store.get('missing', { renewFor: 10 });
  check(value === null, `renewing a missing key should return null, got ${show(value)}`);
  await checkGone(store, 'missing', 'renewing a missing key must create nothing');
  const ttl = ctx.ttl(0.1);
  await store.set('expired', 'v', { expiresIn: ttl });
  await ctx.waitPast(ttl);
  const expired = await store.get('expired', { renewFor: 10 });
  check(expired === null, `renewing an expired key should return null, got ${show(expired)}`);
  await checkGone(store, 'expired', 'renewing an expired key must not revive it');
}

async function expiresInMissing({ store }: CaseContext): Promise<void> {
  const remaining = await store.expiresIn('missing');
  check(remaining === null, `expiresIn of a missing key should be null, got ${show(remaining)}`);
}

async function expiresInNoExpiry({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v');
  await checkNoExpiry(store, 'k', 'a key set without expiresIn');
}

async function expiresInRemaining({ store }: CaseContext): Promise<void> {
  await store.set('k', 'v', { expiresIn: 10 });
  await new Promise((done) => setTimeout(done, 50));
  // In (9, 10): a backend that truncates to whole seconds reports 9, one that rounds 10.
  await checkRemaining(store, 'k', 9, 9.999, 'a key set for 10 s, 50 ms later');
}

async function expiresInFractional(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const ttl = ctx.ttl(0.25);
  await store.set('k', 'v', { expiresIn: ttl });
  await checkRemaining(store, 'k', 0, ttl, `a key set for ${ttl} s`);
}

function sweeper(store: Store): ExpirySweepingStore {
  const sweeping = store as Partial<ExpirySweepingStore>;
  check(typeof sweeping.deleteExpired === 'function', 'deleteExpired() should exist');
  return store as ExpirySweepingStore;
}

async function deleteExpiredCounts(ctx: CaseContext): Promise<void> {
  const { store } = ctx;
  const child = store.withNamespace('c');
  const grandchild = child.withNamespace('g');
  const sibling = store.withNamespace('s');
  const ttl = ctx.ttl(0.15);
  // Expiring: 2 in store, 2 in child, 1 in grandchild, 1 in sibling. Live: one per level.
  await Promise.all([
    store.set('e1', 'v', { expiresIn: ttl }),
    store.set('e2', 'v', { expiresIn: ttl }),
    child.set('e1', 'v', { expiresIn: ttl }),
    child.set('e2', 'v', { expiresIn: ttl }),
    grandchild.set('e1', 'v', { expiresIn: ttl }),
    sibling.set('e1', 'v', { expiresIn: ttl }),
    store.set('live', 'v'),
    child.set('live', 'v', { expiresIn: 1000 }),
    grandchild.set('live', 'v'),
    sibling.set('live', 'v', { expiresIn: 1000 }),
  ]);
  await ctx.waitPast(ttl);
  // A backend that expires by itself may have removed some already; one that does not, none.
  const exact = !store.capabilities.nativeExpiry;
  const fromChild = await sweeper(child).deleteExpired();
  check(
    exact ? fromChild === 3 : fromChild >= 0 && fromChild <= 3,
    `deleteExpired() of a child with 3 expired entries (own + grandchild) returned ${fromChild}`,
  );
  const fromRoot = await sweeper(store).deleteExpired();
  check(
    exact ? fromRoot === 3 : fromRoot >= 0 && fromRoot <= 3,
    `deleteExpired() of the parent with 3 expired entries left returned ${fromRoot}`,
  );
  const again = await sweeper(store).deleteExpired();
  check(again === 0, `a second deleteExpired() returned ${again}, expected 0`);
  for (const s of [store, child, grandchild, sibling]) {
    checkBytes(await s.get('live'), 'v', 'a live entry after deleteExpired()');
    check(!(await s.exists('e1')), 'an expired entry after deleteExpired()');
  }
}

/** Expiry, renewal, expiresIn and deleteExpired. */
export const expiryCases: readonly ConformanceCase[] = [
  {
    id: 'set.clears-expiry',
    title: 'set without expiresIn removes an existing expiry',
    run: setClearsExpiry,
  },
  {
    id: 'set.replaces-expiry',
    title: 'set with expiresIn replaces the previous expiry',
    run: setReplacesExpiry,
  },
  {
    id: 'expiry.uniform',
    title: 'get, exists and expiresIn all agree an expired key is gone',
    run: expiryUniform,
  },
  {
    id: 'expiry.boundary',
    title: 'an entry is gone once its TTL has elapsed (inclusive)',
    run: expiryBoundary,
  },
  {
    id: 'expiry.present-before',
    title: 'an entry with time left is readable',
    run: presentBeforeExpiry,
  },
  { id: 'get.missing', title: 'returns null for a missing key', run: getMissing },
  {
    id: 'get.renew-keeps-no-expiry',
    title: 'renewFor leaves a key without expiry without expiry',
    run: renewKeepsNoExpiry,
  },
  {
    id: 'get.renew-resets-expiry',
    title: 'renewFor resets an existing expiry, longer or shorter',
    run: renewResets,
  },
  {
    id: 'get.renew-one-day-or-more',
    title: 'renewFor of a day or more keeps the key for that long',
    run: renewLong,
  },
  {
    id: 'get.renew-sub-second-remaining',
    title: 'renews a key with under 0.5 s left',
    run: renewSubSecondRemaining,
  },
  {
    id: 'get.renew-to-sub-second',
    title: 'renewFor below one second is honoured',
    run: renewToSubSecond,
  },
  {
    id: 'get.renew-missing',
    title: 'renewFor on a missing or expired key returns null and creates nothing',
    run: renewMissing,
  },
  { id: 'expiresIn.missing', title: 'is null for a missing key', run: expiresInMissing },
  {
    id: 'expiresIn.no-expiry',
    title: 'is Infinity for a key without expiry',
    run: expiresInNoExpiry,
  },
  {
    id: 'expiresIn.remaining',
    title: 'reports the remaining seconds at 1 ms resolution, never more than set',
    run: expiresInRemaining,
  },
  {
    id: 'expiresIn.fractional',
    title: 'reports a fractional TTL as > 0 and <= the TTL',
    run: expiresInFractional,
  },
  {
    id: 'deleteExpired.counts',
    title: 'deleteExpired removes and counts expired entries, children included, live ones kept',
    requires: 'deleteExpired',
    run: deleteExpiredCounts,
  },
];
