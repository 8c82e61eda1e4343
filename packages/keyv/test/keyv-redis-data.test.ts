import { createKeyv as createKeyvRedis } from '@keyv/redis';
import { describeEachBackend } from '@stores/test-backends';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createKeyv } from '../src/index.js';

// @keyv/redis with namespace N keeps key k as `N::k`, holding Keyv's serialized string; a root
// RedisStore (or ValkeyStore) with namespace `N:` keeps key k as `N:` + ':' + k: the same key,
// and this adapter stores the same string. So the two read and write each other's entries.
await describeEachBackend(
  (backend) => {
    describe('@keyv/redis data', () => {
      it('is read, written and cleared in place through a store with namespace "N:"', async () => {
        const { url, namespace } = backend.freshSpec();
        if (url === undefined || namespace === undefined) throw new Error('needs a server');
        const theirs = createKeyvRedis(url, { namespace });
        onTestFinished(() => theirs.disconnect());
        const ours = createKeyv(
          backend.open({ backend: backend.name, url, namespace: `${namespace}:` }),
        );

        await theirs.set('user:1', { name: 'Ada' }, 60_000);
        expect(await ours.get('user:1')).toEqual({ name: 'Ada' });
        await ours.set('user:2', { name: 'Grace' }, 60_000);
        expect(await theirs.get('user:2')).toEqual({ name: 'Grace' });
        expect(await ours.delete('user:1')).toBe(true);
        expect(await theirs.get('user:1')).toBeUndefined();
        await ours.clear();
        expect(await theirs.get('user:2')).toBeUndefined();
      });
    });
  },
  ['redis', 'valkey'],
);
