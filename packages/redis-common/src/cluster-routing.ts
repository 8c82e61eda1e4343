import type { LibraryCommand, RedisLikeClient } from './client.js';

/*
 * A cluster client's `sendCommand` costs about 2.5 µs of CPU per command before the command
 * reaches a node (on 2 cores at 64 in flight, raw ioredis `GET`s: 167-192k/s through
 * `Cluster.sendCommand`, 237-267k/s handed to the owning node's connection): a redirect
 * closure and a `WeakSet` entry per command, the key looked up again by the command's name,
 * the subscriber and import checks. A command of the store names its one key, whose slot the
 * store knows, so it can go to the connection the client itself would pick: the slot's master
 * in the client's own slot table. Whatever the node answers that the client would act on (a
 * redirect, TRYAGAIN, CLUSTERDOWN, a closed connection) hands the command to the client,
 * which then follows it exactly as if it had been sent through it; so routing changes which
 * code sends a command, never where it goes or what its caller sees.
 */

/** The parts of an ioredis/iovalkey `Cluster` routing reads (private: checked at run time). */
interface ClusterInternals {
  readonly status?: string;
  readonly options?: { readonly scaleReads?: unknown };
  /** Per slot, the keys (`host:port`) of its master, then its replicas. */
  readonly slots?: readonly (readonly string[] | undefined)[];
  readonly connectionPool?: { getInstanceByKey?(key: string): unknown };
}

/** A command whose failure handler routing may replace, as the cluster client itself does. */
interface Reroutable {
  reject: (error: Error) => void;
}

// The replies (and the connection failure) after which the cluster client sends a command
// again elsewhere; any other failure is the command's own and is passed on as it is.
const REROUTED = /^(?:MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * Sends `command`, whose keys are all in `slot`, through the cluster client `cluster`: to the
 * slot's master's connection when the client is ready and knows it, else through the client.
 */
export function sendToSlot(cluster: RedisLikeClient, command: LibraryCommand, slot: number): void {
  const node = masterOf(cluster as ClusterInternals, slot);
  if (node === undefined) {
    cluster.sendCommand?.(command as never);
    return;
  }
  const reroutable = command as unknown as Reroutable;
  const reject = reroutable.reject;
  reroutable.reject = (error) => {
    reroutable.reject = reject;
    if (REROUTED.test(error.message) || error.message === CONNECTION_CLOSED) {
      cluster.sendCommand?.(command as never);
    } else {
      reject(error);
    }
  };
  node.sendCommand?.(command as never);
}

/** The ready connection of `slot`'s master, if the client has one and routes to masters. */
function masterOf(cluster: ClusterInternals, slot: number): RedisLikeClient | undefined {
  // A client told to read from replicas keeps its choice: it routes those commands itself.
  if (cluster.status !== 'ready' || (cluster.options?.scaleReads ?? 'master') !== 'master') {
    return undefined;
  }
  const key = cluster.slots?.[slot]?.[0];
  if (key === undefined) return undefined;
  const node = cluster.connectionPool?.getInstanceByKey?.(key) as RedisLikeClient | undefined;
  return node?.status === 'ready' && typeof node.sendCommand === 'function' ? node : undefined;
}
