import { join } from 'node:path';
import { runStoreConformance } from '@stores/conformance';
import { FileStore, type FileStoreOptions } from '../src/index.js';
import { freshDir } from './helpers.js';

// The suite's multi-process cases open the same directory in child processes through this.
const module = join(import.meta.dirname, 'fixtures', 'shared-store.mjs');

for (const [name, options] of [
  ['FileStore', {}],
  ['FileStore durable', { durable: true }],
  ['FileStore syncReads', { syncReads: true }],
] as const) {
  const newHandle = (): FileStoreOptions => ({ path: freshDir('conformance'), ...options });
  runStoreConformance(name, () => new FileStore(newHandle()), {
    shared: { module, newHandle },
    // Every call is a few file system calls on libuv's four threads, shared by four cases at
    // once: on a busy 2-core machine two calls can be further apart than the suite's shortest
    // TTL (0.2 s; more so with two fsyncs per write), and keys.exactly-once (~4,400 writes)
    // can take longer than the default 15 s.
    ttlScale: 3,
    timeoutMs: 60_000,
  });
}
