import { join } from 'node:path';
import { Cluster, Redis } from 'iovalkey';
import type { Backend } from '../../redis-common/test/kit.js';
import { ValkeyStore } from '../src/index.js';

/** ValkeyStore and iovalkey, for the shared Redis/Valkey test kit. */
export const backend: Backend<Redis | Cluster> = {
  kind: 'valkey',
  name: 'ValkeyStore',
  createStore: (options) => new ValkeyStore(options),
  fromUrl: (url, options) => ValkeyStore.fromUrl(url, options),
  connect: (url) => new Redis(url),
  connectCluster: (nodes) => new Cluster(nodes),
  sharedModule: join(import.meta.dirname, 'fixtures', 'shared-store.mjs'),
};
