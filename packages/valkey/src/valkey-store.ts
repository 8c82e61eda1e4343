import {
  type ClientFactory,
  libraryCommands,
  type NamespaceInit,
  OWN_CLIENT_DEFAULTS,
  RedisLikeStore,
  type RedisLikeStoreOptions,
} from '@stores/redis-common';
import {
  Cluster,
  type ClusterNode,
  type ClusterOptions,
  Command,
  Redis,
  type RedisOptions,
} from 'iovalkey';

/** Options of `ValkeyStore`: one of `url` / `clientOptions`, `cluster` or `client`, plus scoping. */
export type ValkeyStoreOptions = RedisLikeStoreOptions<
  Redis | Cluster,
  RedisOptions,
  ClusterNode,
  ClusterOptions
>;

/** Options of `ValkeyStore.fromUrl`. */
export type ValkeyStoreUrlOptions = Omit<
  ValkeyStoreOptions,
  'url' | 'cluster' | 'client' | 'closeClient'
>;

// Owned clients get the store's defaults first; the caller's options override them.
const factory: ClientFactory<Redis | Cluster, RedisOptions, ClusterNode, ClusterOptions> = {
  schemes: ['redis:', 'rediss:', 'valkey:', 'valkeys:'],
  standalone: (url, options) => {
    const merged = { ...OWN_CLIENT_DEFAULTS, ...options };
    return url === undefined ? new Redis(merged) : new Redis(url, merged);
  },
  cluster: (nodes, options) =>
    new Cluster(nodes, {
      ...options,
      redisOptions: { ...OWN_CLIENT_DEFAULTS, ...options?.redisOptions },
    }),
  commands: libraryCommands({ Redis, Cluster, Command }),
};

/** A @stores `Store` on Valkey through iovalkey (standalone, Sentinel or Cluster). */
export class ValkeyStore extends RedisLikeStore<
  Redis | Cluster,
  RedisOptions,
  ClusterNode,
  ClusterOptions
> {
  /** Creates a store; see `ValkeyStoreOptions` for who owns the client. */
  constructor(options: ValkeyStoreOptions | NamespaceInit = {}) {
    super(options, factory);
  }

  /** A store that owns a new client connected to `url` and closes it on `close()`. */
  static fromUrl(url: string, options: ValkeyStoreUrlOptions = {}): ValkeyStore {
    return new ValkeyStore({ ...options, url });
  }
}
