import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/throwing-callback.mjs', import.meta.url));

describe('callbacks', () => {
  // A real child process: a callback's throw is an uncaught exception, which must be observed
  // without the test runner's own handler treating it as a failure of the run.
  it('calls a callback that throws exactly once and lets its error surface', async () => {
    const { stdout } = await run(process.execPath, [fixture]);
    expect(JSON.parse(stdout)).toEqual({
      calls: { result: 1, error: 1 },
      uncaught: ['thrown by the error callback (STORE_CLOSED)', 'thrown by the result callback'],
    });
  }, 30_000);
});
