import type { Store } from '@stores/core';
import { timeLoop, timeOnce, verify } from './harness.js';
import type { KvPlan } from './kv.js';
import { failureNote, type Recorder } from './results.js';

/** The section-8 operations one subject offers, in a fresh key space. */
export interface AtomicOps {
  /** Adds 1 to `key`'s counter (created with a TTL), resolving the new value. */
  increment(key: string): Promise<number>;
  /** Writes `key` only if absent (with a TTL), resolving whether it wrote. */
  setIfAbsent(key: string, value: Uint8Array): Promise<boolean>;
  /** Resets `key`'s expiry, resolving whether it existed. */
  touch(key: string): Promise<boolean>;
  /** Lists every key of the key space, resolving how many it saw. */
  countKeys(): Promise<number>;
  close?(): Promise<void>;
}

/** One subject of the atomic-operations suite. */
export interface AtomicSubject {
  name: string;
  ours: boolean;
  versions: Record<string, string>;
  open(scope: string): Promise<AtomicOps>;
}

const TTL_SECONDS = 3600;
// Counters hit by the increment loop: a few hot keys, as rate limiters see them.
const COUNTERS = 16;

/** A `Store`'s section-8 operations. */
export function storeAtomicOps(store: Store): AtomicOps {
  return {
    increment: (key) => store.increment(key, { expiresIn: TTL_SECONDS }),
    setIfAbsent: (key, value) => store.setIfAbsent(key, value, { expiresIn: TTL_SECONDS }),
    touch: (key) => store.touch(key, { expiresIn: TTL_SECONDS }),
    countKeys: async () => {
      let count = 0;
      for await (const _ of store.keys()) count++;
      return count;
    },
    close: () => store.close(),
  };
}

/** A `MULTI` block of the raw client. */
export interface RawPipeline {
  incrby(key: string, by: number): RawPipeline;
  pexpire(key: string, ms: number, flag: string): RawPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** The raw client commands doing the same: `INCRBY`+`PEXPIRE NX`, `SET NX PX`, `PEXPIRE`, `SCAN`. */
export interface RawAtomicClient {
  incrby(key: string, by: number): Promise<number>;
  pexpire(key: string, ms: number, ...flags: string[]): Promise<number>;
  set(key: string, value: Buffer, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>;
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  multi(): RawPipeline;
}

/** Raw equivalents over `prefix`-ed keys (increment: `INCRBY` + `PEXPIRE NX` in one `MULTI`). */
export function rawAtomicOps(client: RawAtomicClient, prefix: string): AtomicOps {
  const ttlMs = TTL_SECONDS * 1000;
  return {
    increment: async (key) => {
      const replies = await client
        .multi()
        .incrby(prefix + key, 1)
        .pexpire(prefix + key, ttlMs, 'NX')
        .exec();
      return Number(replies?.[0]?.[1]);
    },
    setIfAbsent: async (key, value) =>
      (await client.set(prefix + key, Buffer.from(value), 'PX', ttlMs, 'NX')) === 'OK',
    touch: async (key) => (await client.pexpire(prefix + key, ttlMs)) === 1,
    countKeys: async () => {
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    },
  };
}

type Workload = 'increment' | 'setIfAbsent' | 'touch' | 'keys';

/**
 * increment (16 hot counters), setIfAbsent (fresh keys), touch (the keys just written) and
 * keys (one pass over them) for each subject, at each concurrency of `plan`; 100-byte values.
 * Every result is checked: counters add up, every setIfAbsent and touch succeeds, keys sees
 * every entry.
 */
export async function runAtomicSuite(
  recorder: Recorder,
  suite: string,
  subjects: readonly AtomicSubject[],
  plan: KvPlan,
): Promise<void> {
  const value = new Uint8Array(100).fill(0x76);
  const total = plan.ops + plan.warmup;
  for (const inFlight of plan.inFlight) {
    for (const subject of subjects) {
      const row = { suite, subject: subject.name, ours: subject.ours, versions: subject.versions };
      const at = { valueBytes: 100, inFlight };
      let ops: AtomicOps | undefined;
      let step: Workload = 'increment';
      try {
        ops = await subject.open(`atomic-${inFlight}`);
        const kv = ops;
        const loop = { ops: plan.ops, warmup: plan.warmup, inFlight };
        let sum = 0;
        const increments = await timeLoop(loop, async (i) => {
          // Read the count first: `sum += await …` would add to a stale `sum`.
          const count = await kv.increment(`c${i % COUNTERS}`);
          if (count > 0) sum++;
        });
        verify(sum === total, () => `increment: ${sum} of ${total} calls returned a count`);
        recorder.add({ ...row, ...at, workload: 'increment', status: 'ok', timing: increments });
        step = 'setIfAbsent';
        const writes = await timeLoop(loop, async (i) => {
          verify(await kv.setIfAbsent(`k${i}`, value), () => `setIfAbsent k${i} did not write`);
        });
        recorder.add({ ...row, ...at, workload: 'setIfAbsent', status: 'ok', timing: writes });
        step = 'touch';
        const touches = await timeLoop(loop, async (i) => {
          verify(await kv.touch(`k${i}`), () => `touch k${i}: missing`);
        });
        recorder.add({ ...row, ...at, workload: 'touch', status: 'ok', timing: touches });
        step = 'keys';
        if (inFlight === 1) {
          let seen = 0;
          const ms = await timeOnce(async () => {
            seen = await kv.countKeys();
          });
          verify(
            seen === total + COUNTERS,
            () => `keys: saw ${seen}, expected ${total + COUNTERS}`,
          );
          recorder.add({
            ...row,
            ...at,
            workload: 'keys',
            status: 'ok',
            metrics: { keys: seen, ms, keysPerSec: (seen / ms) * 1000 },
          });
        }
      } catch (error) {
        recorder.add({ ...row, ...at, workload: step, status: 'failed', note: failureNote(error) });
      } finally {
        await ops?.close?.();
      }
    }
  }
}
