import { Redis } from 'ioredis';

/** A Redis or Valkey server this run measures against. */
export interface BenchServer {
  kind: 'redis' | 'valkey';
  url: string;
  /** How it was found: `binary`, `containers` or `env` (see TEST-SERVERS.md). */
  via: string;
  /** e.g. `redis 7.0.15`, from `INFO server`. */
  version: string;
  /** Stops a server the run started; a no-op for an existing one (`env`). */
  stop(): Promise<void>;
}

interface TestServer {
  url: string;
  via: string;
  stop(): Promise<void>;
}
type StartTestServer = (kind: 'redis' | 'valkey') => Promise<TestServer | undefined>;

/** The function `name` of `@stores/conformance/servers`, or why it cannot be had. */
async function serverHelper<T>(name: string): Promise<T | string> {
  try {
    // A specifier in a variable: the helpers are typed by their package once built, not here.
    const specifier: string = '@stores/conformance/servers';
    const helper = ((await import(specifier)) as Record<string, unknown>)[name];
    if (typeof helper !== 'function') return `@stores/conformance/servers does not export ${name}`;
    return helper as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    return '@stores/conformance/servers is not built (run `pnpm --filter @stores/conformance build`)';
  }
}

/**
 * Starts a server with the test-server helpers of `@stores/conformance/servers` (an env URL,
 * else a container, else the local binary), or says why there is none. Unless told otherwise
 * (`STORES_TEST_SERVERS` or an env URL), the local binary is forced: a container's port
 * forwarding would be measured as part of every operation.
 */
export async function startServer(kind: 'redis' | 'valkey'): Promise<BenchServer | string> {
  const start = await serverHelper<StartTestServer>('startTestServer');
  if (typeof start === 'string') return start;
  const preferBinary =
    process.env.STORES_TEST_SERVERS === undefined &&
    process.env[kind === 'redis' ? 'STORES_REDIS_URL' : 'STORES_VALKEY_URL'] === undefined;
  if (preferBinary) process.env.STORES_TEST_SERVERS = 'binary';
  let server: TestServer | undefined;
  try {
    server = await start(kind);
  } finally {
    if (preferBinary) delete process.env.STORES_TEST_SERVERS;
  }
  if (server === undefined) return `no ${kind} server (see the message above)`;
  try {
    return {
      kind,
      url: server.url,
      via: server.via,
      version: await serverVersion(server.url),
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A 3-master cluster this run started, for the cluster rows of a suite. */
export interface BenchCluster {
  kind: 'redis' | 'valkey';
  /** The masters, for a cluster client's startup nodes. */
  nodes: { host: string; port: number }[];
  /** `redis://host:port` of each master, for a PING probe on each. */
  urls: string[];
  /** e.g. `redis 7.0.15`, from `INFO server` of the first master. */
  version: string;
  /** Stops every node. */
  stop(): Promise<void>;
}

interface TestCluster {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}
type StartTestCluster = (
  kind: 'redis' | 'valkey',
  options: { masters: number },
) => Promise<TestCluster | undefined>;

/**
 * Starts a local cluster of 3 masters (no replicas) with `startTestCluster()` of
 * `@stores/conformance/servers`, always from the local binaries, or says why there is none.
 * Each suite that needs one starts its own and stops it when done (about 2 s each).
 */
export async function startCluster(kind: 'redis' | 'valkey'): Promise<BenchCluster | string> {
  const start = await serverHelper<StartTestCluster>('startTestCluster');
  if (typeof start === 'string') return start;
  const cluster = await start(kind, { masters: 3 });
  if (cluster === undefined) return `no ${kind} cluster (see the message above)`;
  const urls = cluster.nodes.map(({ host, port }) => `redis://${host}:${port}`);
  try {
    return {
      kind,
      nodes: cluster.nodes,
      urls,
      version: await serverVersion(urls[0] ?? ''),
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const info = await client.info('server');
    const valkey = /^valkey_version:(\S+)/m.exec(info)?.[1];
    const redis = /^redis_version:(\S+)/m.exec(info)?.[1];
    return valkey !== undefined ? `valkey ${valkey}` : `redis ${redis ?? '?'}`;
  } finally {
    client.disconnect();
  }
}
