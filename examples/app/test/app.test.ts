import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '@stores/conformance/servers';
import { afterAll, describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '..', 'src', 'main.js');

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET on a new connection (so node:cluster spreads requests over its workers). */
function get(port: number, path: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: cookie ? { cookie } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// Apps still running when a test file ends (a failed test): killed with their workers.
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
});

/** Starts `node src/main.js` with `env`; resolves once every worker says it listens. */
async function startApp(env: Record<string, string>, workers = 1): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, WORKERS: String(workers) },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so a failed test can kill the workers too
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let listening = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the app exited early with code ${code}`)));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      listening += text.split('listening on').length - 1;
      if (listening >= workers) resolve();
    });
  });
  return child;
}

/** Sends SIGTERM; resolves the exit code, or rejects if the app has not exited in 10 s. */
function stopApp(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the app did not exit within 10 s of SIGTERM')),
      10_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

describe('examples/app on the embedded default (no server)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stores-example-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers every listed route and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { PORT: String(port), STORES_DATA_DIR: dataDir, STORES_URL: '' };
    const app = await startApp(env);
    try {
      expect(JSON.parse((await get(port, '/')).body)).toEqual({
        routes: ['/cached', '/session', '/limited'],
      });

      const first = await get(port, '/cached');
      const second = await get(port, '/cached');
      expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(second.body).toBe(first.body);

      const login = await get(port, '/session');
      const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
      expect(JSON.parse(login.body)).toEqual({ views: 1 });
      expect(JSON.parse((await get(port, '/session', cookie)).body)).toEqual({ views: 2 });

      const statuses = [];
      for (let i = 0; i < 11; i++) statuses.push((await get(port, '/limited')).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      expect(await stopApp(app)).toBe(0);
    }
  });
});

const redis = await startTestServer('redis');
describe.runIf(redis !== undefined)('examples/app with 4 workers sharing Redis', () => {
  afterAll(() => redis?.stop());

  it('admits exactly the limit per window across workers; the rest get 429 with RateLimit headers', async () => {
    const port = await freePort();
    const limit = 20;
    const env = {
      PORT: String(port),
      STORES_URL: redis?.url ?? '',
      RATE_LIMIT: String(limit),
      RATE_WINDOW_MS: '60000',
    };
    const app = await startApp(env, 4);
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, () => get(port, '/limited')));
      const ok = replies.filter((r) => r.status === 200);
      const limited = replies.filter((r) => r.status === 429);
      expect(ok).toHaveLength(limit);
      expect(limited).toHaveLength(200 - limit);
      // Several workers answered, and all of them counted in the one shared window.
      expect(new Set(replies.map((r) => r.headers['x-worker-pid'])).size).toBeGreaterThan(1);
      // draft-8: `RateLimit: "20-in-1min"; r=0; t=60`, no requests remaining in this window.
      for (const reply of limited) expect(reply.headers.ratelimit).toMatch(/; r=0; t=\d+$/);
    } finally {
      expect(await stopApp(app)).toBe(0);
    }
  });
});
