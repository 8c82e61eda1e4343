import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EXECUTABLES, type ServerProcess, spawnServer } from './binary.js';
import { freePort } from './ports.js';
import { sendCommand } from './resp.js';
import type { ServerKind, TestCluster } from './types.js';

const run = promisify(execFile);
const NODE_TIMEOUT_MS = 3_000;
const CREATE_TIMEOUT_MS = 30_000;
const STATE_OK_TIMEOUT_MS = 20_000;

/** Whether every node reports `cluster_state:ok` and knows every node. */
async function allOk(nodes: readonly ServerProcess[]): Promise<boolean> {
  const infos = await Promise.all(
    nodes.map((node) => sendCommand('127.0.0.1', node.port, ['CLUSTER', 'INFO'])),
  );
  return infos.every(
    (info) =>
      info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${nodes.length}`),
  );
}

/**
 * Spawns `masters` cluster-enabled servers on free loopback ports (bus ports chosen free too,
 * rather than port + 10000, which can overflow), joins them with `--cluster create` and
 * resolves once every node says `cluster_state:ok`.
 */
export async function startBinaryCluster(kind: ServerKind, masters: number): Promise<TestCluster> {
  const { server, cli } = EXECUTABLES[kind];
  const started = await Promise.allSettled(
    Array.from({ length: masters }, () =>
      spawnServer(server, undefined, async (port) => [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(NODE_TIMEOUT_MS),
        '--cluster-port',
        String(await freePort()),
      ]),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= Promise.all(nodes.map((node) => node.terminate('SIGTERM'))).then(() => undefined);
    return stopped;
  };
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(
      cli,
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: CREATE_TIMEOUT_MS,
      },
    );
    const deadline = Date.now() + STATE_OK_TIMEOUT_MS;
    while (!(await allOk(nodes))) {
      if (Date.now() > deadline) {
        throw new Error(`${kind} cluster not ok in ${STATE_OK_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    kind,
    nodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    stop,
  };
}
