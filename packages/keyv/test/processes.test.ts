import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeEachBackend } from '@stores/test-backends';
import { describe, expect, it } from 'vitest';
import { createKeyv } from '../src/index.js';
import { BUILD_SNAPSHOT } from './global-setup.js';

const run = promisify(execFile);
const otherProcess = fileURLToPath(new URL('./fixtures/other-process.mjs', import.meta.url));

await describeEachBackend(
  (backend) => {
    describe('another process', () => {
      it('shares the cache: each reads what the other wrote through its own Keyv', async () => {
        const spec = backend.freshSpec();
        const keyv = createKeyv(backend.open(spec), { namespace: 'shared' });
        await keyv.set('from-test', { n: 1 }, 60_000);
        const { stdout } = await run(process.execPath, [
          otherProcess,
          JSON.stringify(spec),
          BUILD_SNAPSHOT,
        ]);
        expect(JSON.parse(stdout)).toEqual({ seen: { n: 1 }, keys: ['from-child', 'from-test'] });
        expect(await keyv.get('from-child')).toEqual({ pid: expect.any(Number) });
      });
    });
  },
  ['file', 'redis', 'valkey'],
);
