// Hit-path overhead of @stores/response-cache: requests/s of a cached route (every request a
// hit) against the same handler uncached, under Express and Hono, on MemoryStore and Redis,
// and the server process's CPU time per request (which a busy machine disturbs far less than
// requests/s). The load comes from a child process: keep-alive sockets, N requests in flight,
// for a fixed duration per run; uncached and cached runs alternate, and each figure is the
// median of its rounds, so that a noisy neighbour skews both alike. From the package
// directory, after `pnpm build`:
//   node scripts/bench.mjs [--duration=3] [--rounds=3] [--concurrency=32] [--backends=memory,redis]
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';

if (process.env.BENCH_LOAD === undefined) await main();
else {
  process.send(await load(JSON.parse(process.env.BENCH_LOAD)));
  process.disconnect();
}

function option(name, fallback) {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

async function main() {
  const { serve } = await import('@hono/node-server');
  const { startBackend } = await import('@stores/test-backends');
  const { default: express } = await import('express');
  const { Hono } = await import('hono');
  const { ResponseCache } = await import('../dist/index.js');

  const durationMs = Number(option('duration', '3')) * 1000;
  const rounds = Number(option('rounds', '3'));
  const concurrency = Number(option('concurrency', '32'));
  const backends = option('backends', 'memory,redis').split(',');
  // About 1 KB of JSON, the size of a typical API answer.
  const payload = JSON.stringify({
    items: Array.from({ length: 24 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] })),
  });

  const frameworks = {
    express(cache) {
      const app = express();
      const handler = (_req, res) => res.type('application/json').send(payload);
      app.get('/plain', handler);
      app.get('/cached', cache.express(), handler);
      return app.listen(0, '127.0.0.1');
    },
    hono(cache) {
      const app = new Hono();
      const handler = (c) => c.body(payload, 200, { 'content-type': 'application/json' });
      app.get('/plain', handler);
      app.get('/cached', cache.hono(), handler);
      return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    },
    'hono fetch()': (cache) => {
      const app = new Hono();
      app.get('/*', (c) => c.body(payload, 200, { 'content-type': 'application/json' }));
      const cached = cache.fetch(app.fetch);
      return serve({
        fetch: (req, env) =>
          new URL(req.url).pathname === '/plain' ? app.fetch(req, env) : cached(req, env),
        port: 0,
        hostname: '127.0.0.1',
      });
    },
  };

  console.log(
    `node ${process.version}, ${concurrency} in flight, median of ${rounds} runs of ${durationMs / 1000} s, ${payload.length} B body`,
  );
  const rows = [];
  for (const name of backends) {
    const backend = await startBackend(name);
    if (backend === undefined) throw new Error(`no ${name} server`);
    try {
      for (const [framework, start] of Object.entries(frameworks)) {
        const cache = new ResponseCache({ store: backend.open(), defaultExpiration: 3600 });
        const server = start(cache);
        await new Promise((resolve) =>
          server.listening ? resolve() : server.once('listening', resolve),
        );
        const base = `http://127.0.0.1:${server.address().port}`;
        await once(`${base}/cached`); // the miss that stores the entry
        const runs = { plain: [], cached: [] };
        for (let round = 0; round < rounds; round++) {
          for (const route of ['plain', 'cached']) {
            const run = await inChild({ url: `${base}/${route}`, concurrency, durationMs });
            if (run.errors > 0) throw new Error(`${route}: ${run.errors} errors`);
            runs[route].push(run);
          }
        }
        const result = { plain: median(runs.plain), cached: median(runs.cached) };
        const hit = await once(`${base}/cached`);
        if (hit !== 'HIT') throw new Error(`the cached route answered ${hit}, not HIT`);
        rows.push({ framework, backend: name, ...result });
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await backend.stop();
    }
  }
  console.log(
    '| framework | store | uncached req/s | hit req/s | hit / uncached | server CPU µs/req uncached | server CPU µs/req hit | p50 uncached | p50 hit |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const { framework, backend, plain, cached } of rows) {
    const cells = [
      framework,
      backend,
      Math.round(plain.rps),
      Math.round(cached.rps),
      (cached.rps / plain.rps).toFixed(2),
      Math.round(plain.cpuUs),
      Math.round(cached.cpuUs),
      `${plain.p50.toFixed(2)} ms`,
      `${cached.p50.toFixed(2)} ms`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

/** The median of each figure over the runs. */
function median(runs) {
  const of = (field) => runs.map((run) => run[field]).sort((a, b) => a - b)[runs.length >> 1];
  return { rps: of('rps'), cpuUs: of('cpuUs'), p50: of('p50') };
}

// The server's CPU time over the measured window (the child reports when it began and ended),
// divided by the requests answered in it.
function inChild(data) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), [], {
      env: { ...process.env, BENCH_LOAD: JSON.stringify(data) },
    });
    let cpu;
    child.on('message', (message) => {
      if (message === 'measuring') cpu = process.cpuUsage();
      else {
        const used = process.cpuUsage(cpu);
        resolve({ ...message, cpuUs: (used.user + used.system) / message.requests });
      }
    });
    child.once('error', reject);
  });
}

function once(url) {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume().on('end', () => resolve(res.headers['x-cache']));
    })
      .on('error', reject)
      .end();
  });
}

async function load({ url, concurrency, durationMs }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  const get = () =>
    new Promise((resolve) => {
      const started = performance.now();
      request(url, { agent }, (res) => {
        res.resume().on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      })
        .on('error', () => {
          errors++;
          resolve();
        })
        .end();
    });
  // A short warm-up (sockets, JIT), then the measured window.
  const run = async (until) => {
    while (performance.now() < until) await get();
  };
  await Promise.all(Array.from({ length: concurrency }, () => run(performance.now() + 500)));
  latencies.length = 0;
  process.send('measuring');
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => run(started + durationMs)));
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: (latencies.length / elapsed) * 1000,
    p50: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
    errors,
  };
}
