import { Redis } from 'ioredis';
import { defineTopologyTests } from '../../redis-common/test/topology-kit.js';
import { RedisStore } from '../src/index.js';
import { backend } from './backend.js';

await defineTopologyTests({
  ...backend,
  createSentinelStore: ({ sentinels, name, ...options }) =>
    new RedisStore({ ...options, clientOptions: { sentinels, name } }),
  connectSentinel: (sentinels, name) => new Redis({ sentinels, name }),
});
