import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EXECUTABLES, type ServerProcess, spawnServer } from './binary.js';
import { freePort } from './ports.js';
import { sendCommand } from './resp.js';
import type { ServerKind, TestCluster, TestMember } from './types.js';

const run = promisify(execFile);
// Short, so a killed master's replica is promoted within a few seconds in failover tests.
const NODE_TIMEOUT_MS = 2_000;
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

/** `master` or `replica`, from the node's own `INFO replication`. */
export async function roleOf(port: number): Promise<'master' | 'replica'> {
  const info = await sendCommand('127.0.0.1', port, ['INFO', 'replication']);
  return info.includes('role:master') ? 'master' : 'replica';
}

/** A test's handle on one spawned node. */
export function member(node: ServerProcess, role: 'master' | 'replica' | 'sentinel'): TestMember {
  return {
    host: '127.0.0.1',
    port: node.port,
    role,
    kill: () => node.terminate('SIGKILL'),
    stop: () => node.terminate('SIGTERM'),
  };
}

/** Polls `check` every 50 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Spawns `masters × (1 + replicas)` cluster-enabled servers on free loopback ports (bus ports
 * chosen free too, rather than port + 10000, which can overflow), joins them with
 * `--cluster create --cluster-replicas N` and resolves once every node says `cluster_state:ok`
 * (and, with replicas, every replica's link to its master is up).
 */
export async function startBinaryCluster(
  kind: ServerKind,
  masters: number,
  replicas = 0,
): Promise<TestCluster> {
  const { server, cli } = EXECUTABLES[kind];
  const started = await Promise.allSettled(
    Array.from({ length: masters * (1 + replicas) }, () =>
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
  const members: TestMember[] = [];
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(
      cli,
      [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: CREATE_TIMEOUT_MS },
    );
    await waitFor(() => allOk(nodes), `${kind} cluster_state:ok`, STATE_OK_TIMEOUT_MS);
    for (const node of nodes) members.push(member(node, await roleOf(node.port)));
    const linked = async (port: number): Promise<boolean> =>
      (await sendCommand('127.0.0.1', port, ['INFO', 'replication'])).includes(
        'master_link_status:up',
      );
    for (const replica of members.filter((m) => m.role === 'replica')) {
      await waitFor(() => linked(replica.port), `${kind} replica link`, STATE_OK_TIMEOUT_MS);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    kind,
    nodes: members.filter((m) => m.role === 'master').map(({ host, port }) => ({ host, port })),
    members,
    stop,
  };
}
