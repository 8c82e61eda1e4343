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
} from 'ioredis';

/** Options of `RedisStore`: one of `url` / `clientOptions`, `cluster` or `client`, plus scoping. */
export type RedisStoreOptions = RedisLikeStoreOptions<
  Redis | Cluster,
  RedisOptions,
  ClusterNode,
  ClusterOptions
>;

/** Options of `RedisStore.fromUrl`. */
export type RedisStoreUrlOptions = Omit<
  RedisStoreOptions,
  'url' | 'cluster' | 'client' | 'closeClient'
>;

// ioredis 6 types `replyMapping` as optional-without-undefined in its constructors but as
// `| undefined` in RedisOptions, which a spread cannot satisfy under exactOptionalPropertyTypes.
type ConstructorOptions = RedisOptions & {
  replyMapping?: NonNullable<RedisOptions['replyMapping']>;
};

// Owned clients get the store's defaults first; the caller's options override them.
const factory: ClientFactory<Redis | Cluster, RedisOptions, ClusterNode, ClusterOptions> = {
  schemes: ['redis:', 'rediss:'],
  standalone: (url, options) => {
    const merged = { ...OWN_CLIENT_DEFAULTS, ...options } as ConstructorOptions;
    return url === undefined ? new Redis(merged) : new Redis(url, merged);
  },
  cluster: (nodes, options) =>
    new Cluster(nodes, {
      ...options,
      redisOptions: { ...OWN_CLIENT_DEFAULTS, ...options?.redisOptions } as ConstructorOptions,
    }),
  commands: libraryCommands({ Redis, Cluster, Command }),
};

/** A @stores `Store` on Redis through ioredis (standalone, Sentinel or Cluster). */
export class RedisStore extends RedisLikeStore<
  Redis | Cluster,
  RedisOptions,
  ClusterNode,
  ClusterOptions
> {
  /** Creates a store; see `RedisStoreOptions` for who owns the client. */
  constructor(options: RedisStoreOptions | NamespaceInit = {}) {
    super(options, factory);
  }

  /** A store that owns a new client connected to `url` and closes it on `close()`. */
  static fromUrl(url: string, options: RedisStoreUrlOptions = {}): RedisStore {
    return new RedisStore({ ...options, url });
  }
}
