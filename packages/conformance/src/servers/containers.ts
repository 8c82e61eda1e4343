import { randomUUID } from 'node:crypto';
import type { GenericContainer } from 'testcontainers';
import { onFreePort } from './ports.js';
import type { ServerKind } from './types.js';

const IMAGES: Record<ServerKind, string> = {
  redis: 'redis:7.0.15',
  valkey: 'valkey/valkey:8.0.1',
};
const SERVER_PORT = 6379;
const PROBE_TIMEOUT_MS = 5_000;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

let probe: Promise<string | undefined> | undefined;

/**
 * Why Testcontainers cannot be used here (not installed, or no container runtime answers in
 * 5 s), or undefined when it can. Asked once per process.
 */
export function containerRuntimeProblem(): Promise<string | undefined> {
  probe ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer in ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
      timer.unref();
    });
    const ask = (async () => {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return undefined;
    })().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    return Promise.race([ask, timeout]).finally(() => clearTimeout(timer));
  })();
  return probe;
}

/** A server in a container, published on one fixed host port so a restart keeps it. */
export interface ServerContainer {
  readonly host: string;
  readonly port: number;
  /** Removes the container after a SIGTERM shutdown, or at once by SIGKILL with `abrupt`. */
  remove(abrupt: boolean): Promise<void>;
}

/**
 * Starts `kind`'s image with `RedisContainer` / `ValkeyContainer`, published on `port` (a free
 * one when absent), on 127.0.0.1 only when the runtime is local. Retries a taken port.
 */
export async function startContainer(kind: ServerKind, port?: number): Promise<ServerContainer> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const runtimeHost = client.info.containerRuntime.host;
  const Base: new (image: string) => GenericContainer =
    kind === 'redis'
      ? (await import('@testcontainers/redis')).RedisContainer
      : (await import('@testcontainers/valkey')).ValkeyContainer;
  // Testcontainers has no public API for the host IP of a binding; a subclass may set it.
  class Published extends Base {
    constructor(hostPort: number) {
      super(IMAGES[kind]);
      const hostIp = LOOPBACK.has(runtimeHost) ? '127.0.0.1' : '';
      this.hostConfig.PortBindings = {
        [`${SERVER_PORT}/tcp`]: [{ HostIp: hostIp, HostPort: String(hostPort) }],
      };
    }
  }
  const started = await onFreePort(
    port,
    async (hostPort) => {
      // Named, so a container whose start failed can be found and removed.
      const name = `stores-${kind}-${randomUUID()}`;
      try {
        return await new Published(hostPort).withName(name).start();
      } catch (error) {
        await client.container
          .getById(name)
          .remove({ force: true, v: true })
          .catch(() => {});
        throw error;
      }
    },
    (error) => error instanceof Error && /address already in use/i.test(error.message),
  ).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Testcontainers could not start ${IMAGES[kind]}: ${message}` +
        ' (STORES_TEST_SERVERS=binary uses the local binary instead)',
      { cause: error },
    );
  });
  return {
    host: started.getHost(),
    port: started.getMappedPort(SERVER_PORT),
    remove: async (abrupt) => {
      // A forced removal is a SIGKILL, like a crash; a stop lets the server shut down.
      if (abrupt) await client.container.getById(started.getId()).remove({ force: true, v: true });
      else await started.stop({ timeout: 10_000, remove: true });
    },
  };
}
