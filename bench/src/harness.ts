import { performance } from 'node:perf_hooks';

/** Thrown when an operation's result is not what was written: the row is aborted, never timed. */
export class VerificationError extends Error {
  /** Names the failed check; the message says what was expected and what came back. */
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Throws `VerificationError` unless `condition` holds. */
export function verify(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new VerificationError(message());
}

/** Throughput and latency of one timed loop. */
export interface Timing {
  /** Operations timed (warm-up excluded). */
  ops: number;
  /** Wall-clock time of the timed operations, ms. */
  elapsedMs: number;
  /** Completed operations per second of wall-clock time. */
  opsPerSec: number;
  /** Median latency of one operation, ms (includes queueing behind the other in-flight ops). */
  p50Ms: number;
  /** 99th-percentile latency, ms. */
  p99Ms: number;
  /**
   * CPU time of this process per operation, µs: user + system, every thread (the file system
   * thread pool included; a server's own CPU is not).
   */
  cpuUsPerOp: number;
}

/** How to run one timed loop. */
export interface LoopOptions {
  /** Timed operations; they get the indices `0 .. ops - 1`. */
  ops: number;
  /** Untimed operations first, with the indices `ops .. ops + warmup - 1`. */
  warmup: number;
  /** Operations kept in flight at once (1 = strictly one after another). */
  inFlight: number;
}

/**
 * Runs `op(i)` for the warm-up indices, then for `0 .. ops - 1` with `inFlight` operations
 * outstanding, and returns the timing of the second part. Any rejection (a failed check or a
 * backend error) rejects the whole loop: nothing is reported that did not happen.
 */
export async function timeLoop(
  options: LoopOptions,
  op: (i: number) => Promise<unknown>,
): Promise<Timing> {
  const { ops, warmup, inFlight } = options;
  await runInFlight(ops, ops + warmup, inFlight, op, undefined);
  return combineSlices([await timeSlice(0, ops, inFlight, op)]);
}

/** One timed stretch of a loop: the indices `from .. to - 1`, as `combineSlices` takes it. */
export interface Slice {
  ops: number;
  elapsedMs: number;
  /** CPU time of this process over the stretch, µs (user + system, every thread). */
  cpuUs: number;
  /** Each operation's latency, ms. */
  latencies: Float64Array;
}

/** Times `op` over the indices `from .. to - 1` with `inFlight` outstanding. */
export async function timeSlice(
  from: number,
  to: number,
  inFlight: number,
  op: (i: number) => Promise<unknown>,
): Promise<Slice> {
  const latencies = new Float64Array(to - from);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await runInFlight(from, to, inFlight, op, latencies);
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ops: to - from, elapsedMs, cpuUs: used.user + used.system, latencies };
}

/**
 * The timing of a loop timed in `slices` (stretches taken at different moments, e.g.
 * interleaved with other subjects' stretches): operations over the summed time, percentiles
 * over every operation.
 */
export function combineSlices(slices: readonly Slice[]): Timing {
  let ops = 0;
  let elapsedMs = 0;
  let cpuUs = 0;
  for (const slice of slices) {
    ops += slice.ops;
    elapsedMs += slice.elapsedMs;
    cpuUs += slice.cpuUs;
  }
  const latencies = new Float64Array(ops);
  let at = 0;
  for (const slice of slices) {
    latencies.set(slice.latencies, at);
    at += slice.ops;
  }
  latencies.sort();
  return {
    ops,
    elapsedMs,
    opsPerSec: (ops / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuUsPerOp: cpuUs / ops,
  };
}

/**
 * Runs `op` over the indices `from .. to - 1` with at most `inFlight` outstanding: `inFlight`
 * workers each take the next index when their previous operation settles.
 */
export async function runInFlight(
  from: number,
  to: number,
  inFlight: number,
  op: (i: number) => Promise<unknown>,
  latencies: Float64Array | undefined,
): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const t = performance.now();
      await op(i);
      if (latencies !== undefined) latencies[i - from] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, worker));
}

/** The `q` quantile (0..1) of ascending `sorted` values, by the nearest-rank method. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Times one asynchronous action, ms. */
export async function timeOnce(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/**
 * `count` indices in `0 .. range - 1` from a fixed-seed PRNG (mulberry32): spread over the
 * whole range like random reads, yet the same in every run, so runs compare like with like.
 */
export function seededIndices(count: number, range: number, seed: number): Uint32Array {
  const indices = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    indices[i] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * range);
  }
  return indices;
}
