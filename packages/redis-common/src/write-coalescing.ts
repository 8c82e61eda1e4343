import type { RedisLikeClient, Socket } from './client.js';

/** Clients whose sockets are corked until the end of the current tick. */
const corked = new WeakSet<RedisLikeClient>();

/**
 * Makes the commands `client` writes in one run of JavaScript (the code that sent the first
 * one, and the promise callbacks it set off) leave in one `write(2)` per socket: ioredis and
 * iovalkey write each command by itself, which at 64 in flight costs more than the commands.
 * The sockets are corked now and uncorked by `process.nextTick`, so bytes keep their order and
 * none waits for I/O or a timer. A socket that a reconnect replaces meanwhile is uncorked all
 * the same (the client resends the commands it got no reply for); commands sent before the
 * client is ready wait in its offline queue, as without coalescing.
 */
export function coalesceWrites(client: RedisLikeClient): void {
  if (corked.has(client)) return;
  const sockets = socketsOf(client);
  if (sockets.length === 0) return;
  corked.add(client);
  for (const socket of sockets) socket.cork();
  process.nextTick(() => {
    corked.delete(client);
    for (const socket of sockets) socket.uncork();
  });
}

/** The sockets a command sent through `client` may be written to. */
function socketsOf(client: RedisLikeClient): Socket[] {
  const nodes = client.isCluster ? (client.nodes?.('all') ?? []) : [client];
  const sockets: Socket[] = [];
  for (const node of nodes) {
    const socket = node.stream;
    if (socket?.writable) sockets.push(socket);
  }
  return sockets;
}
