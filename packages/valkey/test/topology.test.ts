import { Redis } from 'iovalkey';
import { defineTopologyTests } from '../../redis-common/test/topology-kit.js';
import { ValkeyStore } from '../src/index.js';
import { backend } from './backend.js';

await defineTopologyTests({
  ...backend,
  createSentinelStore: ({ sentinels, name, ...options }) =>
    new ValkeyStore({ ...options, clientOptions: { sentinels, name } }),
  connectSentinel: (sentinels, name) => new Redis({ sentinels, name }),
});
