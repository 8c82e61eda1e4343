/** An argument of a Redis command as the clients accept it. */
export type CommandArgument = string | Buffer | number;

/** The part of a client's socket write coalescing uses (a `net.Socket` or `tls.TLSSocket`). */
export interface Socket {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * The part of an ioredis/iovalkey `Redis` or `Cluster` client the stores use, described
 * structurally so this package imports neither library.
 */
export interface RedisLikeClient {
  /** True for a `Cluster` client. */
  readonly isCluster: boolean;
  /** `ready` when connected; `connecting`, `reconnecting`, `end`, ... otherwise. */
  readonly status?: string;
  /** The current connection's socket (standalone clients and cluster nodes). */
  readonly stream?: Socket | null | undefined;
  /**
   * The client's options: where it connects, for messages; a `keyPrefix` is refused (SCAN
   * patterns would not get it).
   */
  readonly options?: {
    host?: string | undefined;
    port?: number | undefined;
    path?: string | undefined | null;
    sentinels?: readonly { host?: string | undefined; port?: number | undefined }[] | undefined;
    name?: string | undefined;
    keyPrefix?: string | undefined;
    redisOptions?: { keyPrefix?: string | undefined } | undefined;
    /** The client queues commands of its named methods into pipelines of its own. */
    enableAutoPipelining?: boolean | undefined;
  };
  /** Sends a command object of the client's own library (see `ClientFactory.commands`). */
  sendCommand?(command: never): unknown;
  // Named command methods, not `callBuffer`: ioredis 6 breaks `callBuffer` under
  // `enableAutoPipelining` (an uncaught TypeError). Bulk replies come back as Buffers.
  // Parameters are `never[]` so the libraries' overloaded signatures fit; the store passes
  // `CommandArgument`s.
  /** `SET key value [PX ms] [NX]`. */
  set(...args: never[]): Promise<unknown>;
  /** `GET key`, the value as a Buffer. */
  getBuffer(...args: never[]): Promise<unknown>;
  /** `UNLINK key [key ...]`. */
  unlink(...args: never[]): Promise<unknown>;
  /** `EXISTS key`. */
  exists(...args: never[]): Promise<unknown>;
  /** `PTTL key`. */
  pttl(...args: never[]): Promise<unknown>;
  /** `PEXPIRE key ms`. */
  pexpire(...args: never[]): Promise<unknown>;
  /** `PING`. */
  ping(...args: never[]): Promise<unknown>;
  /** `CLUSTER SLOTS`, `CLUSTER MYID` (cluster nodes only). */
  cluster(...args: never[]): Promise<unknown>;
  // Optional only in type: iovalkey 0.4 has both at run time but not in its declarations.
  /** `EVALSHA sha numkeys key... arg...`, bulk replies as Buffers. */
  evalshaBuffer?(...args: never[]): Promise<unknown>;
  /** `EVAL script numkeys key... arg...`, bulk replies as Buffers. */
  evalBuffer?(...args: never[]): Promise<unknown>;
  /** `SCAN cursor [MATCH pattern] [COUNT n]`, keys as Buffers. */
  scanBuffer(...args: never[]): Promise<unknown>;
  /** Closes the connection after pending replies. */
  quit(): Promise<unknown>;
  /** Closes the connection at once. */
  disconnect(): void;
  /** Listens for connection errors. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Listens for the connection becoming ready, or closing. */
  on(event: 'ready' | 'close', listener: () => void): unknown;
  /** A cluster's master nodes (or all of them), each a standalone client. */
  nodes?(role: 'master' | 'all'): RedisLikeClient[];
  /** A cluster client reloads which node serves which slot, then calls back. */
  refreshSlotsCache?(callback: (error?: Error | null) => void): void;
}

/** A command object of a client's own library, as `sendCommand` takes it. */
export interface LibraryCommand {
  /** Settles with the reply (bulk replies as Buffers if made so), or with the failure. */
  readonly promise: Promise<unknown>;
  /** Fails the command now; a reply that comes later is dropped. */
  readonly reject: (error: Error) => void;
  /**
   * Its place in a pipeline, and whether it is inside a MULTI: the library fails the rest of
   * a transaction whose connection closed part-way instead of sending it again without MULTI.
   */
  pipelineIndex?: number;
  inTransaction?: boolean;
}

/** Makes a command `name` with `args` whose bulk replies are Buffers when `buffers`. */
export type CommandMaker = (
  name: string,
  args: CommandArgument[],
  buffers: boolean,
) => LibraryCommand;

/** What `libraryCommands` needs of a library: its client classes and its `Command`. */
export interface CommandLibrary {
  readonly Redis: abstract new (...args: never[]) => unknown;
  readonly Cluster: abstract new (...args: never[]) => unknown;
  readonly Command: new (
    name: string,
    args: CommandArgument[],
    options: { replyEncoding: 'utf8' | null },
  ) => LibraryCommand;
}

/**
 * `ClientFactory.commands` for ioredis and iovalkey: a client of the library's own classes
 * takes the library's `Command` objects through `sendCommand`, as its named methods send them;
 * a client of another library, or of another copy of it, gets none.
 */
export function libraryCommands(
  library: CommandLibrary,
): (client: RedisLikeClient) => CommandMaker | undefined {
  const buffers = { replyEncoding: null };
  const text = { replyEncoding: 'utf8' } as const;
  const make: CommandMaker = (name, args, wantBuffers) =>
    new library.Command(name, args, wantBuffers ? buffers : text);
  return (client) =>
    client instanceof library.Redis || client instanceof library.Cluster ? make : undefined;
}

/** Creates the clients a store owns; each thin package implements it with its library. */
export interface ClientFactory<Client, ClientOptions, ClusterNode, ClusterOptions> {
  /** The URL schemes the library understands, the plain one first: `['redis:', 'rediss:']`. */
  readonly schemes: readonly string[];
  /** A standalone (or Sentinel) client from a URL and/or options. */
  standalone(url: string | undefined, options: ClientOptions | undefined): Client;
  /** A cluster client from startup nodes and options. */
  cluster(nodes: ClusterNode[], options: ClusterOptions | undefined): Client;
  /**
   * Commands `client` takes through `sendCommand`, or undefined for none: the store then sends
   * through the named methods, which cost a wrapper per call (see `libraryCommands`).
   */
  commands?(client: RedisLikeClient): CommandMaker | undefined;
}

/**
 * Client options a store applies to the clients it creates, before `clientOptions` (which
 * override them): fail a command after one reconnect attempt instead of twenty, connect within
 * 5 s, and keep reconnecting forever at most 1 s apart so the store recovers by itself.
 */
export const OWN_CLIENT_DEFAULTS: {
  readonly maxRetriesPerRequest: number;
  readonly connectTimeout: number;
  readonly retryStrategy: (times: number) => number;
} = Object.freeze({
  maxRetriesPerRequest: 1,
  connectTimeout: 5000,
  retryStrategy: (times: number): number => Math.min(times * 50, 1000),
});
