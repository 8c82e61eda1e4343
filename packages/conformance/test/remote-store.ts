/**
 * A store shared by processes, for the self-tests of the `shared.*` cases: a ReferenceStore
 * served over HTTP by the test process, and `RemoteStore`, a client any process can open from a
 * plain-data handle. The server runs each call to completion before the next (the reference
 * store's hooks never await), so the remote store is atomic across processes — unless a broken
 * client makes it otherwise.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BaseStore, type Store, type StoreCapabilities, StoreError } from '@stores/core';
import { ReferenceStore } from './reference-store.js';

/** What a child process gets: the server and the root namespace of one isolated store. */
export interface RemoteHandle {
  readonly url: string;
  readonly space: string;
}

interface Call {
  readonly path: readonly string[];
  readonly method: string;
  readonly args: readonly unknown[];
}

// Bytes cross the wire as { bytes: base64 }; everything else as JSON.
const encode = (value: unknown): unknown =>
  value instanceof Uint8Array ? { bytes: Buffer.from(value).toString('base64') } : value;
const decode = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'bytes' in value
    ? new Uint8Array(Buffer.from(String(value.bytes), 'base64'))
    : value;

async function perform(root: Store, { path, method, args }: Call): Promise<unknown> {
  const store = path.reduce((s, name) => s.withNamespace(name), root);
  const input = args.map(decode);
  if (method === 'keys') {
    const keys: string[] = [];
    for await (const key of store.keys(input[0] as { prefix?: string })) keys.push(key);
    return keys;
  }
  const call = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
  if (typeof call !== 'function') throw new Error(`no method ${method}`);
  return call.apply(store, input);
}

/** Serves one ReferenceStore on a loopback port until `close()`. */
export async function serveReferenceStore(): Promise<{ url: string; close(): Promise<void> }> {
  const root = new ReferenceStore();
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      perform(root, JSON.parse(body) as Call).then(
        (value) => response.end(JSON.stringify({ value: encode(value) })),
        (error: unknown) => {
          const code = StoreError.is(error) ? error.code : 'STORE_IO';
          response.end(JSON.stringify({ error: { code, message: String(error) } }));
        },
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  persistent: false,
  shared: true,
  nativeExpiry: false,
  deleteExpired: false,
});

/** A client of `serveReferenceStore`: every hook is one HTTP call of the same public method. */
export class RemoteStore extends BaseStore {
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  protected readonly url: string;
  protected readonly path: readonly string[];

  constructor(url: string, path: readonly string[]) {
    super();
    this.url = url;
    this.path = path;
  }

  protected async call(method: string, ...args: unknown[]): Promise<unknown> {
    const response = await fetch(this.url, {
      method: 'POST',
      body: JSON.stringify({ path: this.path, method, args: args.map(encode) }),
    });
    const reply = (await response.json()) as {
      value?: unknown;
      error?: { code: StoreError['code']; message: string };
    };
    if (reply.error !== undefined) throw new StoreError(reply.error.code, reply.error.message);
    return decode(reply.value);
  }

  protected async doSet(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    await this.call('set', key, value, seconds(ttlMs));
  }
  protected async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const options = renewMs === undefined ? {} : { renewFor: renewMs / 1000 };
    return (await this.call('get', key, options)) as Uint8Array | null;
  }
  protected async doDelete(key: string): Promise<boolean> {
    return (await this.call('delete', key)) as boolean;
  }
  protected async doDeleteAll(): Promise<void> {
    await this.call('deleteAll');
  }
  protected async doExists(key: string): Promise<boolean> {
    return (await this.call('exists', key)) as boolean;
  }
  protected async doExpiresIn(key: string): Promise<number | null> {
    const remaining = (await this.call('expiresIn', key)) as number | null;
    // JSON has no Infinity: it arrives as null, so ask again whether the key exists.
    if (remaining !== null) return remaining * 1000;
    return (await this.doExists(key)) ? Number.POSITIVE_INFINITY : null;
  }
  protected async doSetIfAbsent(key: string, value: Uint8Array, ttlMs?: number): Promise<boolean> {
    return (await this.call('setIfAbsent', key, value, seconds(ttlMs))) as boolean;
  }
  protected async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    return (await this.call('increment', key, { by, ...seconds(ttlMs) })) as number;
  }
  protected async doTouch(key: string, ttlMs: number): Promise<boolean> {
    return (await this.call('touch', key, seconds(ttlMs))) as boolean;
  }
  protected async *doKeys(prefix: string | undefined): AsyncIterable<string> {
    yield* (await this.call('keys', prefix === undefined ? {} : { prefix })) as string[];
  }
  protected createNamespace(name: string): BaseStore {
    const Class = this.constructor as new (url: string, path: readonly string[]) => RemoteStore;
    return new Class(this.url, [...this.path, name]);
  }
}

const seconds = (ms: number | undefined): { expiresIn?: number } =>
  ms === undefined ? {} : { expiresIn: ms / 1000 };

/** Opens the remote store a handle names (the `shared` option's default export name). */
export function openStore(handle: RemoteHandle): RemoteStore {
  return new RemoteStore(handle.url, [handle.space]);
}

// This process's own view of the counters and claimed keys, written through to the server.
const counters = new Map<string, number>();
const claimed = new Set<string>();

/**
 * Atomic within one process only: increment and setIfAbsent decide from a per-process cache
 * and write the outcome through, so every process counts from 0 and claims the key for itself.
 */
class PerProcessAtomicStore extends RemoteStore {
  protected override async doIncrement(key: string, by: number, ttlMs?: number): Promise<number> {
    const id = JSON.stringify([...this.path, key]);
    const result = (counters.get(id) ?? 0) + by;
    counters.set(id, result);
    await this.doSet(key, new TextEncoder().encode(String(result)), ttlMs);
    return result;
  }
  protected override async doSetIfAbsent(
    key: string,
    value: Uint8Array,
    ttlMs?: number,
  ): Promise<boolean> {
    const id = JSON.stringify([...this.path, key]);
    if (claimed.has(id)) return false;
    claimed.add(id);
    await this.doSet(key, value, ttlMs);
    return true;
  }
}

/** Opens the per-process-atomic remote store a handle names. */
export function openPerProcessAtomicStore(handle: RemoteHandle): RemoteStore {
  return new PerProcessAtomicStore(handle.url, [handle.space]);
}

/** A remote store whose increment never settles (a timer keeps its process alive). */
class StalledStore extends RemoteStore {
  protected override doIncrement(): Promise<number> {
    return new Promise(() => setInterval(() => {}, 1000));
  }
}

/** Opens the stalled remote store a handle names. */
export function openStalledStore(handle: RemoteHandle): RemoteStore {
  return new StalledStore(handle.url, [handle.space]);
}
