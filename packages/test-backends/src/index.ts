/**
 * Every @stores backend as a fresh, isolated store, for the integration packages' tests: one
 * shared helper instead of a copy per backend. Real servers only (found by
 * `@stores/conformance/servers`: an env URL, Testcontainers, or the local binary), real files.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@stores/conformance/servers';
import { MemoryStore, type Store } from '@stores/core';
import { FileStore } from '@stores/file';
import { RedisStore } from '@stores/redis';
import { ValkeyStore } from '@stores/valkey';
import { afterAll, describe } from 'vitest';

/** The backends an integration is tested on. */
export type BackendName = 'memory' | 'file' | 'redis' | 'valkey';

/** Every backend, in the order tests run them. */
export const BACKENDS: readonly BackendName[] = Object.freeze([
  'memory',
  'file',
  'redis',
  'valkey',
]);

/**
 * How to open one store, as plain data: a child process given this (JSON) opens the same
 * store with `openStore` — the same directory, or the same server and namespace.
 */
export interface StoreSpec {
  readonly backend: BackendName;
  /** FileStore root directory. */
  readonly path?: string;
  /** Redis/Valkey server URL. */
  readonly url?: string;
  /** Redis/Valkey root namespace. */
  readonly namespace?: string;
}

/** Opens the store `spec` describes; the caller owns (and closes) it. */
export function openStore(spec: StoreSpec): Store {
  switch (spec.backend) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      return new FileStore({ path: required(spec.path, 'path') });
    case 'redis':
      return RedisStore.fromUrl(required(spec.url, 'url'), {
        namespace: required(spec.namespace, 'namespace'),
      });
    case 'valkey':
      return ValkeyStore.fromUrl(required(spec.url, 'url'), {
        namespace: required(spec.namespace, 'namespace'),
      });
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`StoreSpec needs ${name}`);
  return value;
}

/** A running backend: fresh isolated stores on demand, stopped by `stop()`. */
export interface TestBackend {
  readonly name: BackendName;
  /** True when other processes opening the same spec see the same data (not memory). */
  readonly shared: boolean;
  /** The server, for Redis and Valkey (to kill or restart in failure tests). */
  readonly server: TestServer | undefined;
  /** A spec of a new, empty, isolated store (a new directory or namespace). */
  freshSpec(): StoreSpec;
  /** A new, empty, isolated root store; closed by `stop()` if the test did not. */
  open(spec?: StoreSpec): Store;
  /** Closes every store `open` made, removes directories, stops the server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `name`'s backend. Resolves undefined when its server cannot be had (after
 * `startTestServer`'s loud warning; under `STORES_REQUIRE_SERVERS=1` it rejects instead).
 */
export async function startBackend(name: BackendName): Promise<TestBackend | undefined> {
  const server = name === 'redis' || name === 'valkey' ? await startTestServer(name) : undefined;
  if ((name === 'redis' || name === 'valkey') && server === undefined) return undefined;
  const opened: Store[] = [];
  const dirs: string[] = [];
  const freshSpec = (): StoreSpec => {
    if (name === 'file') {
      const path = mkdtempSync(join(tmpdir(), 'stores-it-'));
      dirs.push(path);
      return { backend: name, path };
    }
    if (server !== undefined) {
      return { backend: name, url: server.url, namespace: `it-${randomUUID()}` };
    }
    return { backend: name };
  };
  let stopped: Promise<void> | undefined;
  return {
    name,
    shared: name !== 'memory',
    server,
    freshSpec,
    open(spec = freshSpec()) {
      const store = openStore(spec);
      opened.push(store);
      return store;
    },
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled(opened.map((store) => store.close()));
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
        await server?.stop();
      })();
      return stopped;
    },
  };
}

/**
 * Registers `define(backend)` inside `describe(name)` for each backend (default: all four),
 * starting each first (call with top-level `await`) and stopping it after the file. A backend
 * whose server cannot be had is reported loudly and left out, or fails the run under
 * `STORES_REQUIRE_SERVERS=1`.
 */
export async function describeEachBackend(
  define: (backend: TestBackend) => void,
  names: readonly BackendName[] = BACKENDS,
): Promise<void> {
  for (const name of names) {
    const backend = await startBackend(name);
    if (backend === undefined) continue;
    describe(name, () => {
      afterAll(() => backend.stop());
      define(backend);
    });
  }
}
