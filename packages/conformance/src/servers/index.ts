import { EXECUTABLES, onPath, spawnServer } from './binary.js';
import { startBinaryCluster } from './cluster.js';
import { containerRuntimeProblem, startContainer } from './containers.js';
import { startBinarySentinel } from './sentinel.js';
import type {
  ServerKind,
  StartTestClusterOptions,
  StartTestSentinelOptions,
  StartTestServerOptions,
  TestCluster,
  TestSentinel,
  TestServer,
} from './types.js';

export { sentinelMaster } from './sentinel.js';
export type {
  ServerKind,
  StartTestClusterOptions,
  StartTestSentinelOptions,
  StartTestServerOptions,
  TestCluster,
  TestMember,
  TestSentinel,
  TestServer,
} from './types.js';

const NAMES: Record<ServerKind, string> = { redis: 'Redis', valkey: 'Valkey' };
const URL_VARS: Record<ServerKind, string> = {
  redis: 'STORES_REDIS_URL',
  valkey: 'STORES_VALKEY_URL',
};

/** A server we started and can end: a spawned process or a container. */
interface Running {
  readonly host: string;
  readonly port: number;
  end(abrupt: boolean): Promise<void>;
}

function forcedWay(): 'containers' | 'binary' | undefined {
  const value = process.env.STORES_TEST_SERVERS ?? '';
  if (value === '') return undefined;
  if (value === 'containers' || value === 'binary') return value;
  throw new Error(`STORES_TEST_SERVERS must be 'containers' or 'binary', not '${value}'`);
}

function urlOf(host: string, port: number): string {
  return `redis://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const warned = new Set<string>();

// A skip must be impossible to miss, and impossible altogether under STORES_REQUIRE_SERVERS=1.
function unavailable(what: string, ways: string[]): undefined {
  const message = [
    `@stores/conformance: NO ${what.toUpperCase()} AVAILABLE. Give the tests one of:`,
    ...ways.map((way, index) => `  ${index + 1}. ${way}`),
  ];
  if (process.env.STORES_REQUIRE_SERVERS === '1') {
    throw new Error([...message, 'STORES_REQUIRE_SERVERS=1 forbids skipping.'].join('\n'));
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.warn(
      [...message, `Skipping what needs a ${what}; STORES_REQUIRE_SERVERS=1 fails instead.`].join(
        '\n',
      ),
    );
  }
  return undefined;
}

function envServer(kind: ServerKind, variable: string, value: string): TestServer {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new Error(`${variable} is not a URL: '${value}'`, { cause: error });
  }
  const shared = (): Promise<never> =>
    Promise.reject(
      new Error(`a server from ${variable} is shared: pass { owned: true } to get one to kill`),
    );
  return {
    kind,
    url: value,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    via: 'env',
    stop: () => Promise.resolve(),
    kill: shared,
    restart: shared,
  };
}

async function managedServer(
  kind: ServerKind,
  via: 'containers' | 'binary',
  start: (port?: number) => Promise<Running>,
): Promise<TestServer> {
  let current: Running | undefined = await start();
  let ending: Promise<void> = Promise.resolve();
  const { host, port } = current;
  const end = (abrupt: boolean): Promise<void> => {
    if (current !== undefined) {
      ending = current.end(abrupt);
      current = undefined;
    }
    return ending;
  };
  return {
    kind,
    url: urlOf(host, port),
    host,
    port,
    via,
    stop: () => end(false),
    kill: () => end(true),
    restart: async () => {
      await end(false);
      current = await start(port);
    },
  };
}

function binaryServer(kind: ServerKind): Promise<TestServer> {
  return managedServer(kind, 'binary', async (port) => {
    const server = await spawnServer(EXECUTABLES[kind].server, port);
    return {
      host: '127.0.0.1',
      port: server.port,
      end: (abrupt) => server.terminate(abrupt ? 'SIGKILL' : 'SIGTERM'),
    };
  });
}

function containerServer(kind: ServerKind): Promise<TestServer> {
  return managedServer(kind, 'containers', async (port) => {
    const container = await startContainer(kind, port);
    return {
      host: container.host,
      port: container.port,
      end: (abrupt) => container.remove(abrupt),
    };
  });
}

/**
 * A running server of `kind`, found in this order: `STORES_REDIS_URL` / `STORES_VALKEY_URL`
 * (unless `owned`), Testcontainers when a container runtime answers, the local binary.
 * `STORES_TEST_SERVERS=containers|binary` forces one way, and its failure is an error.
 * Resolves undefined (after a loud warning) when there is no way, or rejects when
 * `STORES_REQUIRE_SERVERS=1`. Stop what you get.
 */
export async function startTestServer(
  kind: ServerKind,
  options: StartTestServerOptions = {},
): Promise<TestServer | undefined> {
  const forced = forcedWay();
  const variable = URL_VARS[kind];
  const executable = EXECUTABLES[kind].server;
  const envUrl = process.env[variable] ?? '';
  if (forced === undefined && options.owned !== true && envUrl !== '') {
    return envServer(kind, variable, envUrl);
  }
  if (forced === 'containers' || forced === undefined) {
    const problem = await containerRuntimeProblem();
    if (problem === undefined) return containerServer(kind);
    if (forced === 'containers') {
      throw new Error(`STORES_TEST_SERVERS=containers, but Testcontainers cannot run: ${problem}`);
    }
  }
  if (await onPath(executable)) return binaryServer(kind);
  if (forced === 'binary') {
    throw new Error(`STORES_TEST_SERVERS=binary, but ${executable} is not on PATH`);
  }
  return unavailable(`${NAMES[kind]} server`, [
    `${variable}=redis://host:port, an existing server (${
      envUrl === '' ? 'not set' : 'set, but this test needs a server of its own'
    })`,
    'a container runtime for Testcontainers: Docker, or podman via scripts/podman-setup.sh ' +
      `(${await containerRuntimeProblem()})`,
    `${executable} on PATH (not found)`,
  ]);
}

/**
 * A local cluster of `masters` (default 3) masters of `kind`, spawned from the local
 * `redis-server`/`redis-cli` (`valkey-*`) binaries, with `cluster_state:ok` on every node.
 * Resolves undefined (after a loud warning) when they are missing, or rejects when
 * `STORES_REQUIRE_SERVERS=1`. Stop what you get.
 */
export async function startTestCluster(
  kind: ServerKind,
  options: StartTestClusterOptions = {},
): Promise<TestCluster | undefined> {
  const { masters = 3, replicas = 0 } = options;
  if (!Number.isSafeInteger(masters) || masters < 3) {
    throw new RangeError(`a cluster needs an integer of at least 3 masters, not ${masters}`);
  }
  if (!Number.isSafeInteger(replicas) || replicas < 0) {
    throw new RangeError(`replicas must be a non-negative integer, not ${replicas}`);
  }
  const { server, cli } = EXECUTABLES[kind];
  const missing = [];
  for (const executable of [server, cli]) {
    if (!(await onPath(executable))) missing.push(executable);
  }
  if (missing.length > 0) {
    return unavailable(`${NAMES[kind]} cluster`, [
      `${server} and ${cli} on PATH; clusters always use local binaries ` +
        `(missing: ${missing.join(', ')})`,
    ]);
  }
  return startBinaryCluster(kind, masters, replicas);
}

/**
 * A local Sentinel setup of `kind`: one master, `replicas` (default 2) replicas and `sentinels`
 * (default 3) Sentinels, spawned from the local `redis-server`/`valkey-server` binary (a Sentinel
 * is the server in `--sentinel` mode), ready once every Sentinel sees every replica and every
 * other Sentinel. Resolves undefined (after a loud warning) when the binary is missing, or
 * rejects when `STORES_REQUIRE_SERVERS=1`. Stop what you get.
 */
export async function startTestSentinel(
  kind: ServerKind,
  options: StartTestSentinelOptions = {},
): Promise<TestSentinel | undefined> {
  const { replicas = 2, sentinels = 3 } = options;
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new RangeError(`a Sentinel setup needs at least 1 replica, not ${replicas}`);
  }
  if (!Number.isSafeInteger(sentinels) || sentinels < 1) {
    throw new RangeError(`a Sentinel setup needs at least 1 Sentinel, not ${sentinels}`);
  }
  const { server } = EXECUTABLES[kind];
  if (!(await onPath(server))) {
    return unavailable(`${NAMES[kind]} Sentinel`, [
      `${server} on PATH; Sentinel setups always use local binaries (not found)`,
    ]);
  }
  return startBinarySentinel(kind, replicas, sentinels);
}
