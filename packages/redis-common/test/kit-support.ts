/**
 * What the shared Redis/Valkey test kit's files use: the backend a package hands in, raw access
 * to the server, child processes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ServerKind } from '@stores/conformance/servers';
import { type Store, StoreError, type StoreErrorCode } from '@stores/core';
import { it } from 'vitest';
import type { CommandArgument, RedisLikeClient } from '../src/client.js';

/** A cluster startup node. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** A client of the backend's library, as the tests use it. */
export interface KitClient extends RedisLikeClient {
  /** `ready`, `end`, ... */
  readonly status: string;
  /** Any command, bulk replies as Buffers: how the tests look at the server directly. */
  callBuffer(...args: [command: string, ...args: CommandArgument[]]): Promise<unknown>;
}

/** The store options the tests use; a subset of both packages' options. */
export interface KitStoreOptions<Client> {
  url?: string;
  client?: Client;
  closeClient?: boolean;
  cluster?: { nodes: NodeAddress[] };
  namespace?: string | null;
  hashTag?: boolean;
  commandTimeoutMs?: number;
  clientOptions?: { connectionName?: string; enableAutoPipelining?: boolean; db?: number };
}

/** What a backend package hands the kit. */
export interface Backend<Client extends KitClient> {
  /** Which server the backend talks to. */
  kind: ServerKind;
  /** The store class's name, for test titles. */
  name: string;
  /** `new XStore(options)`. */
  createStore(options: KitStoreOptions<Client>): Store;
  /** `XStore.fromUrl(url, options)`. */
  fromUrl(
    url: string,
    options?: Omit<KitStoreOptions<Client>, 'url' | 'client' | 'cluster'>,
  ): Store;
  /** A plain client of the backend's library (raw access, and to lend to stores). */
  connect(url: string): Client;
  /** A cluster client of the backend's library. */
  connectCluster(nodes: NodeAddress[]): Client;
  /**
   * Absolute path of an ES module plain `node` can import, whose `openStore(handle)` opens the
   * store a `{ url | nodes, namespace }` handle names, from the package's build.
   */
  sharedModule: string;
}

/** What the shared module opens: a server (`url`) or a cluster (`nodes`), and a namespace. */
export type StoreHandle =
  | { url: string; namespace: string }
  | { nodes: NodeAddress[]; namespace: string };

export const uid = (): string => randomUUID().slice(0, 8);
export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
export const FF: Buffer = Buffer.from([0xff]);

/** Listens on a free loopback port; resolves the port and a way to close the server. */
export async function listen(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function raw(
  client: RedisLikeClient,
  command: string,
  ...args: CommandArgument[]
): Promise<unknown> {
  // Cluster nodes are typed as the store sees them; every client of both libraries has this.
  return (client as KitClient).callBuffer(command, ...args);
}

/** The code of a rejection, or 'resolved'. */
export async function rejectionCode(
  call: Promise<unknown>,
): Promise<StoreErrorCode | 'resolved' | 'other'> {
  try {
    await call;
    return 'resolved';
  } catch (error) {
    return StoreError.is(error) ? error.code : 'other';
  }
}

/** Every key of `node` matching `pattern`, deleting them when `remove` (test cleanup). */
export async function scanCount(
  node: RedisLikeClient,
  pattern: Buffer,
  remove = false,
): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = (await raw(node, 'SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
      Buffer,
      Buffer[],
    ];
    cursor = next.toString();
    count += keys.length;
    if (remove && keys.length > 0) await raw(node, 'UNLINK', ...keys);
  } while (cursor !== '0');
  return count;
}

/** Writes `keys` with MSET batches, a few in flight: 100k keys load in well under a second. */
export async function load(client: RedisLikeClient, keys: Buffer[]): Promise<void> {
  const batches: Buffer[][] = [];
  for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
  const next = async (): Promise<void> => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      await raw(client, 'MSET', ...batch.flatMap((key) => [key, 'v']));
    }
  };
  await Promise.all([next(), next(), next(), next()]);
}

// A child process that PINGs over raw RESP in a loop until its stdin closes, then prints the
// slowest round trip.
const PINGER = `
import { connect } from 'node:net';
const socket = connect(Number(process.argv[2]), process.argv[1]);
let start = 0, max = 0, count = 0, pending = '';
const ping = () => { start = performance.now(); socket.write('PING\\r\\n'); };
socket.on('connect', ping);
socket.on('data', (chunk) => {
  pending += chunk;
  if (!pending.endsWith('\\r\\n')) return;
  pending = '';
  if (count++ === 0) console.log('ready'); else max = Math.max(max, performance.now() - start);
  ping();
});
process.stdin.on('end', () => { console.log(JSON.stringify({ max, count })); process.exit(0); });
process.stdin.resume();
`;

/** Starts a PING loop in another process; `stop()` resolves to its slowest reply. */
export async function startPinger(
  host: string,
  port: number,
): Promise<{ stop(): Promise<{ maxPingMs: number; pings: number }> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PINGER, host, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => output.includes('ready') && resolve());
    child.on('close', () => reject(new Error(`pinger exited: ${output}`)));
  });
  return {
    async stop() {
      child.stdin.end();
      await exited;
      const { max, count } = JSON.parse(output.slice(output.indexOf('{'))) as {
        max: number;
        count: number;
      };
      return { maxPingMs: max, pings: count };
    },
  };
}

/** Registers one always-skipped test saying why, when no server could be found. */
export function noServer(title: string): void {
  it(`${title}: no server (see the warning above)`, (ctx) => ctx.skip());
}

// A child process that opens the store a handle names through the backend's shared module,
// prints `ready`, waits for a line on stdin, then adds 1 to one key `count` times, `inFlight`
// calls at a time, and prints every result as JSON.
const INCREMENTER = `
const [module, handle, key, count, inFlight] = process.argv.slice(1);
const { openStore } = await import(module);
const store = await openStore(JSON.parse(handle));
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = [];
let started = 0;
const worker = async () => {
  while (started < Number(count)) {
    started++;
    results.push(await store.increment(key));
  }
};
await Promise.all(Array.from({ length: Number(inFlight) }, worker));
await store.close();
process.stdout.write(JSON.stringify(results) + '\\n');
`;

/**
 * Runs `processes` real child processes that each increment `key` of the store `handle` names
 * `count` times with `inFlight` calls at a time, all processes starting together; resolves to
 * the results of each process.
 */
export async function incrementInProcesses(
  backend: { sharedModule: string },
  handle: StoreHandle,
  key: string,
  { processes, count, inFlight }: { processes: number; count: number; inFlight: number },
): Promise<number[][]> {
  const args = [pathToFileURL(backend.sharedModule).href, JSON.stringify(handle), key];
  const children = Array.from({ length: processes }, () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', INCREMENTER, ...args, String(count), String(inFlight)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const exited = new Promise<string>((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(output) : reject(new Error(`child exited ${code}: ${errors}`)),
      ),
    );
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => output.includes('ready') && resolve());
      exited.catch(reject);
    });
    return { child, ready, exited };
  });
  await Promise.all(children.map(({ ready }) => ready));
  for (const { child } of children) child.stdin.end('go\n');
  const outputs = await Promise.all(children.map(({ exited }) => exited));
  return outputs.map((out) => JSON.parse(out.slice(out.indexOf('\n') + 1)) as number[]);
}
