/** The server families the helpers can start. */
export type ServerKind = 'redis' | 'valkey';

/** A Redis or Valkey server a test may use, however it was found. */
export interface TestServer {
  /** Which server family this is. */
  readonly kind: ServerKind;
  /** `redis://host:port` (or the env URL as given), for a client library. */
  readonly url: string;
  /** The host to connect to. */
  readonly host: string;
  /** The TCP port to connect to. */
  readonly port: number;
  /** How it was found: an env URL, a Testcontainers container, or a spawned local binary. */
  readonly via: 'env' | 'containers' | 'binary';
  /** Shuts the server down and removes its temp dir or container; idempotent; a no-op for 'env'. */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL / container kill), for failure tests; rejects for 'env'. */
  kill(): Promise<void>;
  /**
   * Starts it again, empty, on the same host and port (after `kill`, after `stop`, or while
   * up); rejects for 'env'.
   */
  restart(): Promise<void>;
}

/** Options of `startTestServer`. */
export interface StartTestServerOptions {
  /**
   * The test will kill or restart the server, so never hand out a shared env URL server.
   * Default: false.
   */
  owned?: boolean;
}

/** One process of a cluster or Sentinel setup, for failure tests. */
export interface TestMember {
  readonly host: string;
  readonly port: number;
  /** Its role when the setup was started (a failover changes it). */
  readonly role: 'master' | 'replica' | 'sentinel';
  /** Abrupt death (SIGKILL); resolves once the process is gone. */
  kill(): Promise<void>;
  /** Clean shutdown (SIGTERM); resolves once the process is gone. */
  stop(): Promise<void>;
}

/** A local Redis or Valkey cluster, every slot assigned, `cluster_state:ok` on all. */
export interface TestCluster {
  /** Which server family this is. */
  readonly kind: ServerKind;
  /** The masters, each on 127.0.0.1, for a cluster client's startup nodes. */
  readonly nodes: { host: string; port: number }[];
  /** Every node, masters and replicas, with its role at start. */
  readonly members: readonly TestMember[];
  /** Stops every node and removes their dirs; idempotent. */
  stop(): Promise<void>;
}

/** Options of `startTestCluster`. */
export interface StartTestClusterOptions {
  /** How many masters; at least 3, as Redis requires. Default: 3. */
  masters?: number;
  /** Replicas per master (each promoted when its master dies). Default: 0. */
  replicas?: number;
}

/** A local Sentinel setup: one master, its replicas and the Sentinels watching them. */
export interface TestSentinel {
  /** Which server family this is. */
  readonly kind: ServerKind;
  /** The master name the Sentinels monitor (a client's `name` option). */
  readonly name: string;
  /** The Sentinels, for a client's `sentinels` option. */
  readonly sentinels: { host: string; port: number }[];
  /** Every process: the master first, then the replicas, then the Sentinels. */
  readonly members: readonly TestMember[];
  /** Stops every process and removes their dirs; idempotent. */
  stop(): Promise<void>;
}

/** Options of `startTestSentinel`. */
export interface StartTestSentinelOptions {
  /** Replicas of the master. Default: 2. */
  replicas?: number;
  /** Sentinels (quorum: a majority). Default: 3. */
  sentinels?: number;
}
