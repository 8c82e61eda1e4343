import { fork } from 'node:child_process';
import { join } from 'node:path';
import { describeEachBackend } from '@stores/test-backends';
import { Hono } from 'hono';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResponseCache } from '../src/index.js';
import { listeningHono } from './support/frameworks.js';
import { request, until } from './support/http.js';

interface Started {
  readonly port: number;
  readonly pid: number;
}

/** The Express fixture in its own Node process, on the store `spec` describes. */
async function startExpressProcess(spec: unknown): Promise<string> {
  const child = fork(
    join(import.meta.dirname, 'fixtures', 'express-server.mjs'),
    [JSON.stringify(spec)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  onTestFinished(async () => {
    if (child.connected) child.disconnect();
    expect(await exited).toBe(0);
  });
  const started = await new Promise<Started>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Started));
    child.once('exit', (code) =>
      reject(new Error(`the child exited with ${code} before listening`)),
    );
  });
  return `http://127.0.0.1:${started.port}`;
}

// Memory is not shared between processes; every other backend is.
await describeEachBackend(
  (backend) => {
    describe('two processes on one store', () => {
      it("serve each other's entries (an Express process and a Hono one)", async () => {
        const spec = backend.freshSpec();
        const store = backend.open(spec);
        const app = new Hono().get('/shared/:name', (c) =>
          c.text(`${c.req.param('name')} computed by process ${process.pid}`),
        );
        const parent = await listeningHono(new ResponseCache({ store }).fetch(app.fetch));
        onTestFinished(() => parent.close());
        const child = await startExpressProcess(spec);
        const stored = (key: string) => until(async () => (await store.get(key)) !== null);

        const first = await request(`${parent.url}/shared/one`);
        expect([first.headers['x-cache'], first.text]).toEqual([
          'MISS',
          `one computed by process ${process.pid}`,
        ]);
        await stored('GET /shared/one?');
        const fromChild = await request(`${child}/shared/one`);
        expect([fromChild.headers['x-cache'], fromChild.text]).toEqual(['HIT', first.text]);

        const second = await request(`${child}/shared/two`);
        expect(second.headers['x-cache']).toBe('MISS');
        expect(second.text).not.toContain(`process ${process.pid}`);
        await stored('GET /shared/two?');
        const fromParent = await request(`${parent.url}/shared/two`);
        expect([fromParent.headers['x-cache'], fromParent.text]).toEqual(['HIT', second.text]);
      });
    });
  },
  ['file', 'redis', 'valkey'],
);
