// `pnpm conformance` on a machine with no Redis or Valkey at all: PATH without their binaries,
// no container runtime, no server URLs. The backends must be named as not run, with the ways to
// fix it, and the run must never claim that all backends conform.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../lib/run.mjs';

let bin;

/** A PATH directory holding links to every command on PATH but the server binaries. */
function pathWithoutServers() {
  const dir = mkdtempSync(join(tmpdir(), 'stores-no-servers-'));
  for (const from of (process.env.PATH ?? '').split(delimiter)) {
    let names;
    try {
      names = readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      if (/^(redis|valkey)-/.test(name) || name === 'podman' || name === 'docker') continue;
      try {
        symlinkSync(join(from, name), join(dir, name));
      } catch {} // an earlier PATH entry already has it
    }
  }
  return dir;
}

function conformance(env, ...args) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(STORES_|DOCKER_|TESTCONTAINERS_)/.test(name) && name !== 'CONTAINERS_CONF',
    ),
  );
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['scripts/conformance.mjs', '--no-build', ...args],
      // HOME elsewhere: no ~/.testcontainers.properties or docker context can point at a runtime.
      { cwd: ROOT, env: { ...clean, PATH: bin, HOME: mkHome(), ...env }, timeout: 120_000 },
      (error, stdout) => done({ code: error === null ? 0 : error.code, stdout }),
    );
  });
}

/** An empty home directory, removed with the PATH directory it lives in. */
function mkHome() {
  return mkdtempSync(join(bin, '.home-'));
}

beforeAll(() => {
  bin = pathWithoutServers();
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

// Testcontainers also finds a runtime by its default sockets, which no environment can hide:
// where one exists, "no server at all" cannot be set up here.
const sockets = ['/var/run/docker.sock', '/run/podman/podman.sock'].filter((s) => existsSync(s));
if (sockets.length > 0) {
  console.warn(
    `scripts/test/conformance.test.mjs: skipped, a container runtime answers at ${sockets}`,
  );
}

describe.skipIf(sockets.length > 0)(
  'scripts/conformance.mjs without any Redis or Valkey',
  { timeout: 120_000 },
  () => {
    it('names each backend that did not run and why, and never says all backends conform', async () => {
      const run = await conformance({}, 'redis', 'valkey');
      expect(run.stdout).not.toMatch(/all .*backends conform/);
      expect(run.stdout).toMatch(/^- redis +@stores\/redis .* did not run$/m);
      expect(run.stdout).toMatch(/^- valkey +@stores\/valkey .* did not run$/m);
      // The tests' own explanation, with the three ways to get a server.
      expect(run.stdout).toMatch(/NO REDIS SERVER AVAILABLE/);
      expect(run.stdout).toMatch(/STORES_REDIS_URL=redis:\/\/host:port/);
      expect(run.stdout).toMatch(/a container runtime for Testcontainers/);
      expect(run.stdout).toMatch(/redis-server on PATH \(not found\)/);
      expect(run.stdout).toMatch(/NO VALKEY SERVER AVAILABLE/);
      expect(run.stdout).toMatch(/^0 of 2 backends conform; not run: redis, valkey$/m);
      expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(
        /^0 passed, 0 failed, \d+ skipped, 2 backends not run$/,
      );
      expect(run.code).toBe(0);
    });

    it('fails under STORES_REQUIRE_SERVERS=1, still naming the backends and the fix', async () => {
      const run = await conformance({ STORES_REQUIRE_SERVERS: '1' }, 'redis');
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^- redis \(@stores\/redis\) did not run:$/m);
      expect(run.stdout).toMatch(/NO REDIS (SERVER|CLUSTER) AVAILABLE/);
      expect(run.stdout).not.toMatch(/undefined/);
      expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(
        /^0 passed, [1-9]\d* failed, 0 skipped, 1 backend not run$/,
      );
    });
  },
);
