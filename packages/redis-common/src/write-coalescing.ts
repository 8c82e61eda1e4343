import type { RedisLikeClient, Socket } from './client.js';

/** A client whose sockets are corked until the end of the current tick. */
interface Corked {
  readonly sockets: Socket[];
  /** Commands written into the sockets' buffers since they were last flushed. */
  buffered: number;
}

const corked = new WeakMap<RedisLikeClient, Corked>();

// A tick's commands leave in writes of this many (on a cluster, this many over all its nodes):
// one write(2) costs about as much as a few commands, so 32 share it for next to nothing, and
// the server starts on them while the rest of the tick is still being made. With one write at
// the end of the tick, client and server took turns: on 2 cores at 64 in flight, the renew
// script ran at 130k calls/s against 230-270k with writes of 32, `get` at 205-225k against
// 260-285k; 16 and 48 did less well, and a single call per tick is written as before.
const COMMANDS_PER_WRITE = 32;

/**
 * Makes the commands `client` writes in one run of JavaScript (the code that sent the first
 * one, and the promise callbacks it set off) leave in one `write(2)` per socket for every 32:
 * ioredis and iovalkey write each command by itself, which at 64 in flight costs more than the
 * commands. The sockets are corked now, flushed after each 32 commands, and uncorked by
 * `process.nextTick`, so bytes keep their order and none waits for I/O or a timer. A socket
 * that a reconnect replaces meanwhile is uncorked all the same (the client resends the commands
 * it got no reply for); commands sent before the client is ready wait in its offline queue, as
 * without coalescing.
 */
export function coalesceWrites(client: RedisLikeClient): void {
  const open = corked.get(client);
  if (open !== undefined) {
    if (open.buffered === COMMANDS_PER_WRITE) {
      for (const socket of open.sockets) {
        socket.uncork();
        socket.cork();
      }
      open.buffered = 0;
    }
    open.buffered++;
    return;
  }
  const sockets = socketsOf(client);
  if (sockets.length === 0) return;
  corked.set(client, { sockets, buffered: 1 });
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
