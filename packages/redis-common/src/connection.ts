import { StoreError } from '@stores/core';
import type { RedisLikeClient } from './client.js';
import { isReplyError, toStoreError } from './errors.js';

/**
 * What the stores on one standalone client know about its connection, so a call fails at once
 * with the cause while the server is known to be down, instead of waiting in the client's
 * offline queue behind reconnect attempts (with `maxRetriesPerRequest: 1`, up to two retry
 * delays: 2 s). The server is known to be down once a connection attempt failed (a `close`
 * without `ready` since the last one), until the client is `ready` again or a command's
 * timeout expires while it is not ready.
 *
 * It listens to `ready` and `close`, which has no side effect on the client. It listens to
 * `error` only on clients the store owns: on a lent client, a listener would silence the
 * client's own "Unhandled error event" log, so there messages name the endpoint but not the
 * socket error.
 */
export class ConnectionHealth {
  /** Where the client connects, for messages: `the server at host:port`. */
  readonly endpoint: string;
  readonly #client: RedisLikeClient;
  #readySinceClose: boolean;
  #down = false;
  #lastError: Error | undefined;
  /** A failure no reconnect mends (the db does not exist): every call fails with it. */
  #fatal: StoreError | undefined;

  constructor(client: RedisLikeClient, endpoint: string, listenForErrors: boolean) {
    this.endpoint = endpoint;
    this.#client = client;
    this.#readySinceClose = client.status === 'ready';
    if (listenForErrors) client.on('error', (error: Error) => this.#noteError(error));
    if (client.isCluster) return; // a cluster client reconnects per node; only timeouts apply
    client.on('ready', () => {
      this.#readySinceClose = true;
      this.#down = false;
      this.#lastError = undefined;
    });
    client.on('close', () => {
      if (!this.#readySinceClose) this.#down = true;
      this.#readySinceClose = false;
    });
  }

  /** The error a call must fail with right away, or undefined when it should be sent. */
  failure(): StoreError | undefined {
    if (this.#fatal !== undefined) return this.#copy(this.#fatal);
    if (!this.#down) return undefined;
    return this.#copy(
      this.#lastError === undefined
        ? new StoreError(
            'STORE_CONNECTION',
            `cannot use ${this.endpoint}: a connection attempt failed; the client keeps reconnecting`,
          )
        : toStoreError(this.#lastError, this.endpoint),
    );
  }

  /** `error`, a failed command's, as a StoreError naming the endpoint and, if known, the cause. */
  toStoreError(error: unknown): StoreError {
    if (this.#fatal !== undefined) return this.#copy(this.#fatal); // what failed the command
    return toStoreError(error, this.endpoint, this.#lastError);
  }

  /** A command got no reply in time: while the client is not ready, the server counts as down. */
  timedOut(error: StoreError): void {
    if (this.#client.isCluster || this.#client.status === 'ready') return;
    this.#down = true;
    this.#lastError = error;
  }

  #noteError(error: Error): void {
    if (this.#fatal !== undefined) return; // later errors are consequences of it
    this.#lastError = error;
    if (
      isReplyError(error) &&
      (error as { command?: { name?: string } }).command?.name === 'select'
    ) {
      // The clients report a failed SELECT (a db the server does not have) and then go `ready`
      // in db 0, sending the queued commands there. Ending the connection now, before the
      // handshake completes, keeps every write out of the wrong db.
      this.#fatal = toStoreError(error, this.endpoint);
      this.#client.disconnect();
    }
  }

  // A fresh error per call, so each rejection has its own stack; the message and cause repeat.
  #copy(error: StoreError): StoreError {
    return new StoreError(error.code, error.message, { cause: error.cause });
  }
}

const healths = new WeakMap<RedisLikeClient, ConnectionHealth>();

/**
 * The health of `client`, shared by every store on it (so a lent client gets one set of
 * listeners however many stores borrow it); a client the store `created` is also watched for
 * errors. `endpoint` overrides the one read from the client's options.
 */
export function healthOf(
  client: RedisLikeClient,
  created: boolean,
  endpoint?: string,
): ConnectionHealth {
  let health = healths.get(client);
  if (health === undefined) {
    health = new ConnectionHealth(client, endpoint ?? endpointOf(client), created);
    healths.set(client, health);
  }
  return health;
}

/** `the server at host:port` (or its socket path, or its Sentinel master) of a client. */
function endpointOf(client: RedisLikeClient): string {
  if (client.isCluster) return 'the cluster';
  const { host, port, path, sentinels, name } = client.options ?? {};
  if (typeof path === 'string' && path !== '') return `the server at ${path}`;
  if (Array.isArray(sentinels) && sentinels.length > 0) {
    return `the master '${String(name)}' of the Sentinels at ${sentinels.map((s) => address(s.host, s.port)).join(', ')}`;
  }
  return `the server at ${address(host, port)}`;
}

/** `host:port`, an IPv6 host in brackets, the clients' defaults filled in. */
export function address(host: string | undefined, port: number | string | undefined): string {
  const name = host === undefined || host === '' ? 'localhost' : host;
  return `${name.includes(':') ? `[${name}]` : name}:${port ?? 6379}`;
}
