// Requests per second of the test app (express 5 + express-session) with its sessions on each
// @stores backend, beside connect-redis on the same Redis (and Valkey) server in the same run.
//
//   pnpm --filter @stores/express-session build   (and its backends' builds)
//   node scripts/bench.mjs [--seconds 2] [--rounds 7] [--concurrency 32] [--sessions 200]
//
// Two workloads, each request carrying the cookie of one of `--sessions` existing sessions:
//   read:  GET /peek  — express-session loads the session and touches it (get + touch)
//   write: GET /views — it loads, modifies and saves the session (get + set)
// The load runs in a child process (keep-alive agent, N requests in flight for a fixed time);
// the servers run in this process, so its CPU time per request is what a subject costs the app
// (express, express-session, the store, the client library), a figure that stays meaningful on
// a busy machine where requests/s do not. Each round runs every subject once per workload, in
// rotated order; medians over the rounds are reported, and each pair's ratio is taken per round
// (two runs seconds apart) before the median, so slow minutes of a shared machine cancel out.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startTestServer } from '@stores/conformance/servers';
import { MemoryStore } from '@stores/core';
import { SessionStore } from '@stores/express-session';
import { FileStore } from '@stores/file';
import { RedisStore } from '@stores/redis';
import { ValkeyStore } from '@stores/valkey';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { listen, sessionApp } from '../test/fixtures/app.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '32' },
    sessions: { type: 'string', default: '200' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const sessionCount = Number(values.sessions);

const WORKLOADS = { read: '/peek', write: '/views' };

// The load loop: `concurrency` requests in flight on keep-alive sockets until the time is up.
const LOAD = `
const { request, Agent } = require('node:http');
const { url, cookies, concurrency, ms } = JSON.parse(process.argv[1]);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
const end = Date.now() + ms;
let done = 0, failed = 0, next = 0;
function one() {
  return new Promise((resolve) => {
    const cookie = cookies[next++ % cookies.length];
    const options = { host: target.hostname, port: target.port, path: target.pathname, agent, headers: { cookie } };
    const req = request(options, (res) => {
      if (res.statusCode === 200) done++; else failed++;
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => { failed++; resolve(); });
    req.end();
  });
}
async function lane() { while (Date.now() < end) await one(); }
Promise.all(Array.from({ length: concurrency }, lane)).then(() => {
  agent.destroy();
  process.stdout.write(JSON.stringify({ done, failed }));
});
`;
const run = promisify(execFile);

/** Loads `url` for `ms`; resolves requests/s and this process's CPU µs per request. */
async function load(url, cookies, ms) {
  const args = JSON.stringify({ url, cookies, concurrency, ms });
  const cpu = process.cpuUsage();
  const { stdout } = await run(process.execPath, ['-e', LOAD, args]);
  const { user, system } = process.cpuUsage(cpu);
  const { done, failed } = JSON.parse(stdout);
  if (failed > 0) throw new Error(`${url}: ${failed} requests failed`);
  return { perSecond: done / (ms / 1000), cpuMicros: (user + system) / done };
}

async function createSessions(url) {
  const cookies = [];
  for (let i = 0; i < sessionCount; i++) {
    const response = await fetch(`${url}/views`);
    cookies.push(response.headers.getSetCookie()[0].split(';', 1)[0]);
  }
  return cookies;
}

const redisServer = await startTestServer('redis');
const valkeyServer = await startTestServer('valkey');
if (redisServer === undefined || valkeyServer === undefined) throw new Error('needs servers');
const dir = mkdtempSync(join(tmpdir(), 'stores-session-bench-'));
const redisClient = new Redis(redisServer.url);
const valkeyClient = new Valkey(valkeyServer.url);
const owned = [
  new MemoryStore(),
  new FileStore({ path: dir }),
  RedisStore.fromUrl(redisServer.url, { namespace: 'bench' }),
  ValkeyStore.fromUrl(valkeyServer.url, { namespace: 'bench' }),
];
const [memory, file, redis, valkey] = owned;
const subjects = {
  'express-session MemoryStore': new session.MemoryStore(),
  '@stores memory': new SessionStore({ store: memory }),
  '@stores file': new SessionStore({ store: file }),
  '@stores redis': new SessionStore({ store: redis }),
  'connect-redis (redis)': new ConnectRedisStore({ client: redisClient, prefix: 'bench-cr:' }),
  '@stores valkey': new SessionStore({ store: valkey }),
  'connect-redis (valkey)': new ConnectRedisStore({ client: valkeyClient, prefix: 'bench-cr:' }),
};

const servers = {};
for (const [name, store] of Object.entries(subjects)) {
  const server = await listen(sessionApp(express, store, { cookie: { maxAge: 3_600_000 } }));
  servers[name] = { server, cookies: await createSessions(server.url) };
}

const names = Object.keys(subjects);
const PAIRS = [
  ['@stores redis', 'connect-redis (redis)'],
  ['@stores valkey', 'connect-redis (valkey)'],
];
const METRICS = ['perSecond', 'cpuMicros'];
const series = new Map();
const record = (key, value) => series.set(key, [...(series.get(key) ?? []), value]);

for (const name of names) {
  const { server, cookies } = servers[name];
  for (const path of Object.values(WORKLOADS)) await load(`${server.url}${path}`, cookies, 1000);
}
for (let round = 0; round < rounds; round++) {
  for (const [workload, path] of Object.entries(WORKLOADS)) {
    const result = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { server, cookies } = servers[name];
      result[name] = await load(`${server.url}${path}`, cookies, seconds * 1000);
      for (const metric of METRICS) record(`${name}|${workload}|${metric}`, result[name][metric]);
    }
    for (const [ours, theirs] of PAIRS) {
      for (const metric of METRICS) {
        record(
          `${ours}|${workload}|${metric}|ratio`,
          result[ours][metric] / result[theirs][metric],
        );
      }
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const at = (key) => median(series.get(key));
console.log(
  `Node ${process.version}, ${concurrency} in flight, ${sessionCount} sessions, median of ${rounds} rounds × ${seconds} s\n`,
);
console.log('| subject | read req/s | read CPU µs/req | write req/s | write CPU µs/req |');
console.log('|---|---:|---:|---:|---:|');
for (const name of names) {
  const cells = Object.keys(WORKLOADS).flatMap((w) => [
    at(`${name}|${w}|perSecond`).toFixed(0),
    at(`${name}|${w}|cpuMicros`).toFixed(0),
  ]);
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
for (const [ours, theirs] of PAIRS) {
  console.log(`\n${ours} / ${theirs}, median of the rounds' ratios (min–max):`);
  for (const w of Object.keys(WORKLOADS)) {
    const text = METRICS.map((metric) => {
      const xs = series.get(`${ours}|${w}|${metric}|ratio`);
      return `${metric} ${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    });
    console.log(`  ${w}: ${text.join(', ')}`);
  }
}

for (const { server } of Object.values(servers)) await server.close();
await Promise.all(owned.map((store) => store.close()));
await Promise.all([redisClient.quit(), valkeyClient.quit()]);
await Promise.all([redisServer.stop(), valkeyServer.stop()]);
rmSync(dir, { recursive: true, force: true });
