import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { freshDir, text } from './helpers.js';

// The renew writes the 8 expiry bytes through the descriptor it read the value from. These
// races run the renew's open/read/write and the other operation's rename/unlink side by side
// on libuv's thread pool; whatever the interleaving, the other operation must win.
describe('get with renewFor racing in one process', () => {
  it('never resurrects an entry a concurrent delete removed', async () => {
    const store = new FileStore({ path: freshDir() });
    let renewedFirst = 0;
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`;
      await store.set(key, 'v', { expiresIn: 60 });
      const [value] = await Promise.all([store.get(key, { renewFor: 3600 }), store.delete(key)]);
      if (value !== null) renewedFirst++;
      expect(await store.exists(key)).toBe(false);
    }
    console.log(`renew-vs-delete: the renew read the value first in ${renewedFirst} of 500 races`);
  });

  it('never clobbers a concurrent set, neither its value nor its (absent) expiry', async () => {
    const store = new FileStore({ path: freshDir() });
    let renewedOld = 0;
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`;
      await store.set(key, 'old', { expiresIn: 60 });
      const [value] = await Promise.all([
        store.get(key, { renewFor: 3600 }),
        store.set(key, 'new'),
      ]);
      if (text(value) === 'old') renewedOld++;
      expect(text(await store.get(key))).toBe('new');
      expect(await store.expiresIn(key)).toBe(Number.POSITIVE_INFINITY);
    }
    console.log(`renew-vs-set: the renew read the old value in ${renewedOld} of 500 races`);
  });

  it('never extends a newer set with a short expiry beyond what that set asked for', async () => {
    const store = new FileStore({ path: freshDir() });
    for (let i = 0; i < 300; i++) {
      const key = `k${i}`;
      await store.set(key, 'old', { expiresIn: 60 });
      await Promise.all([
        store.get(key, { renewFor: 3600 }),
        store.set(key, 'new', { expiresIn: 5 }),
      ]);
      const left = await store.expiresIn(key);
      // Either the set came last (<= 5 s), or the renew read the new file and renewed it.
      const value = text(await store.get(key));
      expect(value).toBe('new');
      expect(left !== null && (left <= 5 || left > 3599)).toBe(true);
    }
  });
});
