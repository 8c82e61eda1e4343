/**
 * A/B of the Redis write path in one process, interleaved: the store with write coalescing on a
 * lent client, the same on a client it created (`fromUrl`: large renews as transactions), the
 * store with coalescing disabled (its client's socket hidden from it), the store on a client
 * with `enableAutoPipelining` (sent through the named methods), raw ioredis; the renew variants
 * on raw ioredis (EVALSHA script, MULTI GET + PEXPIRE XX, GETEX); and raw ioredis corked per
 * tick as the stores do, with and without a private copy of each reply, with the renew script
 * and the renew transaction as the store sends them. Several rounds, medians reported.
 * `SIZES=100,10240 node --import tsx src/ab-redis.ts [rounds] [redis|valkey]` (value sizes in
 * bytes; these by default).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Store } from '@stores/core';
import { RedisStore } from '@stores/redis';
import { ValkeyStore } from '@stores/valkey';
import { Redis, Command as RedisCommand } from 'ioredis';
import { Redis as Valkey, Command as ValkeyCommand } from 'iovalkey';
import { timeLoop } from './harness.js';
import { startServer } from './servers.js';

const RENEW = `local value = redis.call('GET', KEYS[1])
if value and redis.call('PTTL', KEYS[1]) >= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value`;
const RENEW_SHA = createHash('sha1').update(RENEW).digest('hex');
const BUFFERS = { replyEncoding: null } as const;

type Client = InstanceType<typeof Redis>;
type Op = (i: number) => Promise<unknown>;
interface Subject {
  name: string;
  ops: Record<string, Op>;
}

/** A view of `client` whose socket reads as absent: the store cannot cork it. */
function hideSocket(client: Client): Client {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'stream') return undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

function storeSubject(name: string, store: Store, size: number): Subject {
  const value = Buffer.alloc(size, 120);
  return {
    name,
    ops: {
      set: (i) => store.set(`k${i}`, value, { expiresIn: 3600 }),
      get: (i) => store.get(`k${i}`),
      'get+renew': (i) => store.get(`k${i}`, { renewFor: 3600 }),
    },
  };
}

/**
 * A function to call before each command of `client`: the first call of a tick corks its
 * socket and `process.nextTick` uncorks it, as the stores' write coalescing does.
 */
function corkPerTick(client: Client): () => void {
  let corked = false;
  return () => {
    const socket = client.stream;
    if (corked || !socket.writable) return;
    corked = true;
    socket.cork();
    process.nextTick(() => {
      corked = false;
      socket.uncork();
    });
  };
}

/**
 * The raw client with the stores' corking, each reply copied into memory of its own (as the
 * contract has every store hand out): the floor for a store's `get`, since a raw client hands
 * out a view of its socket chunk.
 */
function corkedRawSubject(client: Client, prefix: string, size: number): Subject {
  const value = Buffer.alloc(size, 120);
  const Command = (client instanceof Redis ? RedisCommand : ValkeyCommand) as typeof RedisCommand;
  const cork = corkPerTick(client);
  return {
    name: 'raw (corked)',
    ops: {
      set: (i) => {
        cork();
        return client.set(`${prefix}${i}`, value, 'PX', 3_600_000);
      },
      get: (i) => {
        cork();
        return client.getBuffer(`${prefix}${i}`);
      },
      'get (copied)': async (i) => {
        cork();
        const reply = await client.getBuffer(`${prefix}${i}`);
        return reply === null ? null : new Uint8Array(reply);
      },
      'renew:script': (i) => {
        cork();
        const command = new Command('evalsha', [RENEW_SHA, 1, `${prefix}${i}`, 3_600_000], BUFFERS);
        client.sendCommand(command);
        return command.promise;
      },
      'renew:multi-xx': (i) => {
        cork();
        const key = `${prefix}${i}`;
        const commands = [
          new Command('multi', [], BUFFERS),
          new Command('get', [key], BUFFERS),
          new Command('pexpire', [key, 3_600_000, 'XX'], BUFFERS),
        ];
        for (const command of commands) {
          client.sendCommand(command);
          command.promise.catch(() => {});
        }
        const exec = new Command('exec', [], BUFFERS);
        client.sendCommand(exec);
        return exec.promise.then((replies) => (replies as unknown[])[0]);
      },
    },
  };
}

function rawSubject(client: Client, prefix: string, size: number): Subject {
  const value = Buffer.alloc(size, 120);
  const c = client as unknown as {
    set(k: string, v: Buffer, px: 'PX', ms: number): Promise<unknown>;
    getBuffer(k: string): Promise<unknown>;
    getexBuffer(k: string, px: 'PX', ms: number): Promise<unknown>;
    evalBuffer(s: string, n: number, k: string, ms: number): Promise<unknown>;
    multi(): {
      getBuffer(k: string): unknown;
      pexpire(k: string, ms: number, xx: 'XX'): unknown;
      exec(): Promise<unknown>;
    };
  };
  return {
    name: 'raw',
    ops: {
      set: (i) => c.set(`${prefix}${i}`, value, 'PX', 3_600_000),
      get: (i) => c.getBuffer(`${prefix}${i}`),
      'renew:getex': (i) => c.getexBuffer(`${prefix}${i}`, 'PX', 3_600_000),
      'renew:script': (i) => c.evalBuffer(RENEW, 1, `${prefix}${i}`, 3_600_000),
      'renew:multi-xx': (i) => {
        const m = c.multi();
        m.getBuffer(`${prefix}${i}`);
        m.pexpire(`${prefix}${i}`, 3_600_000, 'XX');
        return m.exec();
      },
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const rounds = Number(process.argv[2] ?? 5);
const kind = (process.argv[3] ?? 'redis') as 'redis' | 'valkey';
const server = await startServer(kind);
if (typeof server === 'string') throw new Error(server);
const Lib = (kind === 'redis' ? Redis : Valkey) as unknown as typeof Redis;
const Store_ = kind === 'redis' ? RedisStore : ValkeyStore;
const clients = [
  new Lib(server.url),
  new Lib(server.url),
  new Lib(server.url),
  new Lib(server.url),
  new Lib(server.url, { enableAutoPipelining: true }),
];
const [c0, c1, c2, c3, c4] = clients as [Client, Client, Client, Client, Client];
await c3.script('LOAD', RENEW);
const results = new Map<string, number[]>();
const owned: Store[] = [];
const own = (store: Store): Store => {
  owned.push(store);
  return store;
};
try {
  for (const size of (process.env.SIZES ?? '100,10240').split(',').map(Number)) {
    const ns = randomUUID().slice(0, 8);
    const subjects = [
      storeSubject(
        'store (coalescing)',
        new Store_({ client: c0 as never, namespace: `a${ns}` }),
        size,
      ),
      storeSubject(
        'store (own client)',
        own(Store_.fromUrl(server.url, { namespace: `o${ns}` })),
        size,
      ),
      storeSubject(
        'store (no coalescing)',
        new Store_({ client: hideSocket(c1) as never, namespace: `b${ns}` }),
        size,
      ),
      storeSubject(
        'store (auto-pipelining client)',
        new Store_({ client: c4 as never, namespace: `p${ns}` }),
        size,
      ),
      rawSubject(c2, `raw${ns}:`, size),
      corkedRawSubject(c3, `corked${ns}:`, size),
    ];
    for (let round = 0; round < rounds; round++) {
      for (const inFlight of [64, 1]) {
        for (const subject of round % 2 === 0 ? subjects : [...subjects].reverse()) {
          const ops = inFlight === 1 ? 2000 : 20_000;
          for (const [workload, op] of Object.entries(subject.ops)) {
            const t = await timeLoop({ ops, warmup: ops / 10, inFlight }, op);
            const id = `${size} B | ${inFlight} | ${workload} | ${subject.name}`;
            results.set(id, [...(results.get(id) ?? []), inFlight === 1 ? t.p50Ms : t.opsPerSec]);
          }
        }
      }
    }
  }
} finally {
  await Promise.all([...clients.map((c) => c.quit()), ...owned.map((store) => store.close())]);
  await server.stop();
}
console.log(
  `${kind}, ${rounds} rounds interleaved; 64 in flight: median ops/s; 1 in flight: median p50 ms`,
);
for (const [id, values] of results) {
  const m = median(values);
  console.log(
    `${id} | ${m < 10 ? m.toFixed(4) : Math.round(m)} | ${values.map((v) => (v < 10 ? v.toFixed(4) : Math.round(v))).join(' ')}`,
  );
}
