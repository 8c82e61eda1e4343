import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXECUTABLES, type ServerProcess, spawnServer } from './binary.js';
import { member, waitFor } from './cluster.js';
import { sendCommand } from './resp.js';
import type { ServerKind, TestMember, TestSentinel } from './types.js';

/** The master name every Sentinel monitors. */
export const SENTINEL_MASTER = 'stores';
// Short, so a failover completes within a few seconds in tests.
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 3_000;
const READY_TIMEOUT_MS = 20_000;

/**
 * One master, `replicas` replicas and `sentinels` Sentinels (quorum: a majority), all from the
 * local `redis-server`/`valkey-server` binary on loopback; resolves once the replicas are in sync
 * and every Sentinel sees every replica and every other Sentinel.
 */
export async function startBinarySentinel(
  kind: ServerKind,
  replicas: number,
  sentinels: number,
): Promise<TestSentinel> {
  const { server } = EXECUTABLES[kind];
  const spawned: ServerProcess[] = [];
  const configs = await mkdtemp(join(tmpdir(), `stores-${kind}-sentinel-`));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= Promise.all(spawned.map((node) => node.terminate('SIGTERM'))).then(() =>
      rm(configs, { recursive: true, force: true }),
    );
    return stopped;
  };
  const members: TestMember[] = [];
  try {
    const master = await spawnServer(server);
    spawned.push(master);
    members.push(member(master, 'master'));
    const followers = await Promise.all(
      Array.from({ length: replicas }, () =>
        spawnServer(server, undefined, () => ['--replicaof', '127.0.0.1', String(master.port)]),
      ),
    );
    spawned.push(...followers);
    for (const follower of followers) members.push(member(follower, 'replica'));
    for (const follower of followers) {
      await waitFor(
        async () =>
          (await sendCommand('127.0.0.1', follower.port, ['INFO', 'replication'])).includes(
            'master_link_status:up',
          ),
        `${kind} replica link`,
        READY_TIMEOUT_MS,
      );
    }
    const quorum = Math.floor(sentinels / 2) + 1;
    const watchers = await Promise.all(
      Array.from({ length: sentinels }, async (_, index) => {
        // Each Sentinel rewrites its own config file, so each gets one.
        const config = join(configs, `sentinel-${index}.conf`);
        await writeFile(
          config,
          [
            `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${master.port} ${quorum}`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${DOWN_AFTER_MS}`,
            `sentinel failover-timeout ${SENTINEL_MASTER} ${FAILOVER_TIMEOUT_MS}`,
            `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
            '',
          ].join('\n'),
        );
        return spawnServer(server, undefined, () => ['--sentinel'], {
          config,
          ready: '+monitor master',
        });
      }),
    );
    spawned.push(...watchers);
    for (const watcher of watchers) members.push(member(watcher, 'sentinel'));
    const sees = `slaves=${replicas},sentinels=${sentinels}`;
    for (const watcher of watchers) {
      await waitFor(
        async () =>
          (await sendCommand('127.0.0.1', watcher.port, ['INFO', 'sentinel'])).includes(sees),
        `${kind} sentinel discovery (${sees})`,
        READY_TIMEOUT_MS,
      );
    }
    return {
      kind,
      name: SENTINEL_MASTER,
      sentinels: watchers.map((w) => ({ host: '127.0.0.1', port: w.port })),
      members,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The address the Sentinel at `port` currently reports for the master. */
export async function sentinelMaster(port: number): Promise<string> {
  const info = await sendCommand('127.0.0.1', port, ['INFO', 'sentinel']);
  const address = /address=([^,]+)/.exec(info)?.[1];
  if (address === undefined) throw new Error(`no master address in INFO sentinel: ${info}`);
  return address;
}
