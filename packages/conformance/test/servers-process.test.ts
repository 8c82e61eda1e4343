import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// These tests run the built `@stores/conformance/servers` entry in child processes: what
// happens when a process dies, or loads the module without Testcontainers installed, can
// only be seen from outside it. turbo builds before `test`.
const ENTRY = fileURLToPath(new URL('../dist/servers/index.js', import.meta.url));
const TIMEOUT_MS = 60_000;

// Makes `testcontainers` and `@testcontainers/*` unresolvable, as for a user who did not
// install the optional peer dependencies.
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'testcontainers' || specifier.startsWith('@testcontainers/')) {
    const error = new Error('Cannot find package ' + specifier);
    throw Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return next(specifier, context);
}`;
const hooksUrl = `data:text/javascript,${encodeURIComponent(HOOKS)}`;
const WITHOUT_TESTCONTAINERS = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooksUrl)});`,
)}`;

interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first line the child prints. */
  readonly firstLine: Promise<string>;
  /** Resolves once the child has exited, with everything it printed. */
  readonly done: Promise<{ stdout: string; stderr: string }>;
}

function runChild(code: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Child {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build the package first`);
  const script = `const servers = await import(${JSON.stringify(ENTRY)});
const { startTestServer, startTestCluster } = servers;
const report = (promise) => promise.then(
  (value) => console.log(value === undefined ? 'undefined' : 'started'),
  (error) => console.log('rejected:', error.message.split('\\n')[0]),
);
${code}`;
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
    });
    child.on('close', () => reject(new Error(`child printed nothing; stderr:\n${stderr}`)));
  });
  firstLine.catch(() => {});
  const done = new Promise<{ stdout: string; stderr: string }>((resolve) => {
    child.on('close', () => resolve({ stdout, stderr }));
  });
  return { process: child, firstLine, done };
}

/** The env of this process without any STORES_* setting, plus `extra`. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('STORES_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Resolves true once nothing accepts connections on `port` (checked for up to 10 s). */
async function portClosed(port: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (!open) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('servers of a process that ends without stopping them', () => {
  const START = `process.env.STORES_TEST_SERVERS = 'binary';
const server = await startTestServer('redis');
const cluster = await startTestCluster('valkey');
console.log(JSON.stringify([server.port, ...cluster.nodes.map((node) => node.port)]));`;

  it.each([
    ['is SIGKILLed', `${START}\nsetInterval(() => {}, 1000);`],
    ['exits normally', `${START}\nprocess.exit(0);`],
  ])(
    'are gone after the process %s',
    async (how, code) => {
      const child = runChild(code, cleanEnv());
      const ports = JSON.parse(await child.firstLine) as number[];
      expect(ports).toHaveLength(4);
      if (how === 'is SIGKILLed') child.process.kill('SIGKILL');
      await child.done;
      for (const port of ports) expect(await portClosed(port)).toBe(true);
    },
    TIMEOUT_MS,
  );
});

describe('without any way to get a server', () => {
  // No binaries on PATH and no Testcontainers: the module must still load.
  const noWay = async (extra: NodeJS.ProcessEnv, code: string) => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'stores-servers-test-'));
    try {
      const child = runChild(code, cleanEnv({ PATH: emptyDir, ...extra }), [
        '--import',
        WITHOUT_TESTCONTAINERS,
      ]);
      return await child.done;
    } finally {
      await rm(emptyDir, { recursive: true, force: true });
    }
  };

  it(
    'resolves undefined after a loud message naming the three ways',
    async () => {
      const { stdout, stderr } = await noWay(
        {},
        `await report(startTestServer('redis'));\nawait report(startTestCluster('valkey'));`,
      );
      expect(stdout).toBe('undefined\nundefined\n');
      expect(stderr).toContain('NO REDIS SERVER AVAILABLE');
      expect(stderr).toContain('STORES_REDIS_URL=redis://host:port');
      expect(stderr).toContain('Testcontainers');
      expect(stderr).toContain('Cannot find package testcontainers');
      expect(stderr).toContain('redis-server on PATH');
      expect(stderr).toContain('NO VALKEY CLUSTER AVAILABLE');
      expect(stderr).toContain('STORES_REQUIRE_SERVERS=1');
    },
    TIMEOUT_MS,
  );

  it(
    'rejects under STORES_REQUIRE_SERVERS=1',
    async () => {
      const { stdout } = await noWay(
        { STORES_REQUIRE_SERVERS: '1' },
        `await report(startTestServer('valkey'));\nawait report(startTestCluster('redis'));`,
      );
      expect(stdout.trim().split('\n')).toEqual([
        'rejected: @stores/conformance: NO VALKEY SERVER AVAILABLE. Give the tests one of:',
        'rejected: @stores/conformance: NO REDIS CLUSTER AVAILABLE. Give the tests one of:',
      ]);
    },
    TIMEOUT_MS,
  );

  it(
    'rejects a forced way instead of skipping',
    async () => {
      const { stdout } = await noWay(
        { STORES_TEST_SERVERS: 'containers' },
        `await report(startTestServer('redis'));`,
      );
      expect(stdout).toContain('rejected: STORES_TEST_SERVERS=containers, but Testcontainers');
    },
    TIMEOUT_MS,
  );
});
