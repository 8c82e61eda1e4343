import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describeEachBackend, type StoreSpec } from '@stores/test-backends';
import express4 from 'express4';
import { expect, it, onTestFinished } from 'vitest';
import { SessionStore } from '../src/index.js';
import { Browser, serve } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/session-server.mjs', import.meta.url));
// Starting a Node process that loads Express and every backend takes seconds on a busy machine.
const CHILD_TIMEOUT_MS = 30_000;

/** The test app in a child process over the store `spec` describes. */
async function startChildServer(
  spec: StoreSpec,
): Promise<{ url: string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [fixture, JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill();
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    async stop() {
      const exited = once(child, 'exit');
      child.stdin.end();
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

await describeEachBackend(
  (backend) => {
    it(
      'reads a session another process created, and that process reads its change',
      async () => {
        const spec = backend.freshSpec();
        const child = await startChildServer(spec);
        const url = await serve(express4, new SessionStore({ store: backend.open(spec) }));
        const browser = new Browser();

        const created = await browser.get(`${child.url}/views`);
        expect(created.body.views).toBe(1);
        expect((await browser.get(`${url}/views`)).body).toEqual({ id: created.body.id, views: 2 });
        expect((await browser.get(`${child.url}/peek`)).body).toEqual({
          id: created.body.id,
          views: 2,
        });
        // The child closed its server and store and exited by itself: nothing left open.
        expect(await child.stop()).toBe(0);
      },
      CHILD_TIMEOUT_MS,
    );
  },
  ['file', 'redis', 'valkey'],
);
