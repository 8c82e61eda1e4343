import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@stores/core';
import {
  type AtomicSubject,
  type RawAtomicClient,
  rawAtomicOps,
  runAtomicSuite,
  storeAtomicOps,
} from './atomic.js';
import { importBackend, versions } from './env.js';
import type { KvPlan } from './kv.js';
import { loadMemoryStore } from './memory.js';
import type { ServerFlavour } from './redis.js';
import type { Recorder } from './results.js';

/** The atomic operations on MemoryStore and FileStore (no raw peer does them). */
export async function runAtomicSuites(recorder: Recorder, plan: KvPlan): Promise<void> {
  const MemoryStore = await loadMemoryStore();
  if (typeof MemoryStore === 'string') recorder.skipSuite('atomic: memory', MemoryStore);
  else {
    await runAtomicSuite(
      recorder,
      'atomic: memory',
      [
        {
          name: 'MemoryStore',
          ours: true,
          versions: versions('@stores/memory', '@stores/core'),
          open: async () => storeAtomicOps(new MemoryStore()),
        },
      ],
      plan,
    );
  }
  const mod = await importBackend('@stores/file');
  if (typeof mod === 'string') return recorder.skipSuite('atomic: file', mod);
  const FileStore = mod.FileStore as new (options: { path: string }) => Store;
  const root = await mkdtemp(join(tmpdir(), 'stores-bench-atomic-'));
  try {
    await runAtomicSuite(
      recorder,
      'atomic: file',
      [
        {
          name: 'FileStore',
          ours: true,
          versions: versions('@stores/file', '@stores/core'),
          open: async (scope) => storeAtomicOps(new FileStore({ path: join(root, scope) })),
        },
      ],
      plan,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The atomic operations on RedisStore/ValkeyStore beside the raw client's commands. */
export async function runServerAtomicSuite(
  recorder: Recorder,
  f: ServerFlavour,
  plan: KvPlan,
  runId: string,
): Promise<void> {
  const ns = (scope: string): string => `bench-${runId}-${scope}`;
  const raw = f.raw.connect();
  const subjects: AtomicSubject[] = [
    {
      name: f.store.name,
      ours: true,
      versions: f.store.versions,
      open: async (scope) =>
        storeAtomicOps(f.store.fromUrl(f.server.url, { namespace: ns(`ours-${scope}`) })),
    },
    {
      name: f.raw.name,
      ours: false,
      versions: f.raw.versions,
      open: async (scope) =>
        rawAtomicOps(raw as unknown as RawAtomicClient, `${ns(`raw-${scope}`)}:`),
    },
  ];
  try {
    await runAtomicSuite(recorder, `atomic: ${f.server.kind}`, subjects, plan);
  } finally {
    await raw.quit();
  }
}
