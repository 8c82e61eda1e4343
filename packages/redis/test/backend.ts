import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { Backend } from '../../redis-common/test/kit.js';
import { RedisStore } from '../src/index.js';

/** RedisStore and ioredis, for the shared Redis/Valkey test kit. */
export const backend: Backend<Redis | Cluster> = {
  kind: 'redis',
  name: 'RedisStore',
  createStore: (options) => new RedisStore(options),
  fromUrl: (url, options) => RedisStore.fromUrl(url, options),
  connect: (url) => new Redis(url),
  connectCluster: (nodes) => new Cluster(nodes),
  sharedModule: join(import.meta.dirname, 'fixtures', 'shared-store.mjs'),
};
