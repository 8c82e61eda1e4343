import { combineSlices, runInFlight, type Slice, timeSlice, verify } from './harness.js';
import { failureNote, type Recorder, type Row } from './results.js';

/** One value size, in the representations subjects take: bytes (ours, raw clients) or text. */
export interface Value {
  /** Length in bytes (the text is ASCII, so also its length in characters). */
  size: number;
  bytes: Uint8Array;
  /** The same bytes as a Buffer, which raw clients take. */
  buffer: Buffer;
  text: string;
}

/** Makes the value of `size` bytes used by every subject. */
export function makeValue(size: number): Value {
  const text = 'v'.repeat(size);
  return { size, bytes: new TextEncoder().encode(text), buffer: Buffer.from(text), text };
}

/** `Keyv (Map)` -> `keyv-map`: a name usable in keys, namespaces and directory names. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Seconds every `set` asks entries to live: the cache use case, and what `get+renew` needs. */
export const TTL_SECONDS = 3600;

/** One subject's operations inside a fresh key space (its own namespace, prefix or directory). */
export interface KvOps {
  /** Writes `value` with a lifetime of `TTL_SECONDS` where the subject supports one. */
  set(key: string, value: Value): Promise<void>;
  /** Reads `key`; resolves to the length of what came back, or `null` if missing. */
  get(key: string): Promise<number | null>;
  /** Reads `key` and resets its lifetime (our `renewFor`), or `undefined`: no equivalent. */
  renew: ((key: string) => Promise<number | null>) | undefined;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
  /** True if `key` exists. */
  exists(key: string): Promise<boolean>;
  /** Releases what `open` made for this key space, if anything. */
  close?(): Promise<void>;
}

/** Something measured by the key-value workloads: one of our stores or a peer. */
export interface KvSubject {
  name: string;
  ours: boolean;
  versions: Record<string, string>;
  /** Opens a fresh, empty key space named after `scope` (unique within the run). */
  open(scope: string): Promise<KvOps>;
  /** Releases what the subject holds across key spaces (a shared client, a root store). */
  close?(): Promise<void>;
}

/** One timed stretch of a row: how many operations, on values of how many bytes. */
export interface Stretch {
  ops: number;
  size: number;
}

/** What the workloads run: sizes, concurrency levels and operations per row. */
export interface KvPlan {
  sizes: readonly number[];
  inFlight: readonly number[];
  /** Timed operations per row. */
  ops: number;
  /** Untimed operations before each row. */
  warmup: number;
  /**
   * Runs, untimed, before each timed stretch of `ops` operations on values of `size` bytes: the
   * file suite flushes the disk, so a subject never pays for the write-back of the writes timed
   * before it; the memory suite collects garbage and faults in the memory the stretch will
   * fill, so none pays for what the one before it dropped or for the process's growth.
   */
  settle?: (stretch: Stretch) => Promise<void>;
  /**
   * Whether the first subject writes and deletes each group's keys once before the group (see
   * `warmUp`; default true). The file suite turns it off: there it changes the first subject's
   * disk, not the process's heap, right before that subject is timed.
   */
  warmUpFirst?: boolean;
  /**
   * Whether every group's `set` runs before any group's other workloads (default false). The
   * file suite turns it on: `overwrite` and `delete` free thousands of inodes, and on ext4
   * without a journal every create for minutes afterwards scans them all (see the README), so
   * a `set` timed after them measured the file system's recent past, not the subjects.
   */
  setsFirst?: boolean;
}

type Workload = 'set' | 'overwrite' | 'get' | 'get+renew' | 'exists' | 'delete';
// `overwrite` sets the same keys again: the common cache case, and a different code path
// (replacing an entry) from the first `set`.
const WORKLOADS: readonly Workload[] = ['set', 'overwrite', 'get', 'get+renew', 'exists', 'delete'];

// Each row is timed in this many stretches, interleaved with the other subjects' (ours, each
// peer; then again in another order, see `stretchOrder`): a disk's write-back or a server's
// memory drifts over seconds, and a subject timed in one piece could meet a better or worse
// moment than the one it is compared with. Same operations and keys as one piece, so the run
// takes no longer.
const SLICES = 3;

/** One (size, concurrency) group of a suite: its open key spaces and failed subjects. */
interface Group {
  size: number;
  inFlight: number;
  open: Map<KvSubject, KvOps>;
  failedAt: Map<KvSubject, Workload>;
}

/**
 * Runs set, overwrite, get, get+renew, exists and delete for every size and concurrency: within
 * each (size, concurrency) group, one workload at a time through every subject, each row timed
 * in `SLICES` stretches interleaved across the subjects. Every read is checked (length of the
 * value, `true` from exists, `null` after delete); a failed check or backend error fails that
 * row and skips the rest of that subject's group, whose data would be wrong. With
 * `setsFirst`, every group's `set` runs (and is recorded) before any group's other workloads.
 */
export async function runKvSuite(
  recorder: Recorder,
  suite: string,
  subjects: readonly KvSubject[],
  plan: KvPlan,
): Promise<void> {
  const keys = Array.from({ length: plan.ops + plan.warmup }, (_, i) => `k${i}`);
  const groups: Group[] = plan.sizes.flatMap((size) =>
    plan.inFlight.map((inFlight) => ({ size, inFlight, open: new Map(), failedAt: new Map() })),
  );
  const phases = plan.setsFirst ? [WORKLOADS.slice(0, 1), WORKLOADS.slice(1)] : [WORKLOADS];
  for (const [p, workloads] of phases.entries()) {
    for (const group of groups) {
      if (p === 0 && plan.warmUpFirst !== false) {
        await warmUp(subjects[0], keys, group.size, group.inFlight);
      }
      await runGroup(recorder, suite, subjects, plan, keys, group, workloads);
      if (p === phases.length - 1) for (const kv of group.open.values()) await kv.close?.();
    }
  }
}

/** Times `workloads` of one group through every subject (see runKvSuite). */
async function runGroup(
  recorder: Recorder,
  suite: string,
  subjects: readonly KvSubject[],
  plan: KvPlan,
  keys: readonly string[],
  group: Group,
  workloads: readonly Workload[],
): Promise<void> {
  const { size, inFlight, open, failedAt } = group;
  const bounds = Array.from({ length: SLICES + 1 }, (_, s) => Math.round((plan.ops * s) / SLICES));
  for (const workload of workloads) {
    // What each subject's row will say, recorded in subject order once all are timed.
    const outcome = new Map<KvSubject, Omit<Row, 'machine'>>();
    const timed = new Map<KvSubject, { op: (i: number) => Promise<void>; slices: Slice[] }>();
    const finish = (subject: KvSubject, result: Pick<Row, 'status' | 'note' | 'timing'>) => {
      outcome.set(subject, {
        suite,
        subject: subject.name,
        ours: subject.ours,
        versions: subject.versions,
        workload,
        valueBytes: size,
        inFlight,
        ...result,
      });
      if (result.status === 'failed') failedAt.set(subject, workload);
    };
    const failure = (subject: KvSubject, error: unknown): void => {
      timed.delete(subject);
      finish(subject, { status: 'failed', note: failureNote(error) });
    };
    for (const subject of subjects) {
      const failed = failedAt.get(subject);
      if (failed !== undefined) {
        finish(subject, { status: 'skipped', note: `${failed} failed` });
        continue;
      }
      try {
        let kv = open.get(subject);
        if (kv === undefined) {
          kv = await subject.open(`${slug(subject.name)}-${size}-${inFlight}`);
          open.set(subject, kv);
        }
        const op = operation(workload, kv, keys, size);
        if (op === undefined) {
          finish(subject, { status: 'n/a', note: 'no equivalent' });
          continue;
        }
        // Warm-up on the untimed indices after the timed ones.
        await runInFlight(plan.ops, plan.ops + plan.warmup, inFlight, op, undefined);
        timed.set(subject, { op, slices: [] });
      } catch (error) {
        failure(subject, error);
      }
    }
    for (let s = 0; s < SLICES; s++) {
      for (const [subject, { op, slices }] of stretchOrder([...timed], s)) {
        const [from = 0, to = 0] = [bounds[s], bounds[s + 1]];
        await plan.settle?.({ ops: to - from, size });
        await timeSlice(from, to, inFlight, op).then(
          (slice) => slices.push(slice),
          (error: unknown) => failure(subject, error),
        );
      }
    }
    for (const [subject, { slices }] of timed) {
      const kv = open.get(subject);
      try {
        if (workload === 'delete' && kv !== undefined) await checkDeleted(kv, keys, plan.ops);
        finish(subject, { status: 'ok', timing: combineSlices(slices) });
      } catch (error) {
        failure(subject, error);
      }
    }
    for (const subject of subjects) {
      const row = outcome.get(subject);
      if (row !== undefined) recorder.add(row);
    }
  }
}

/**
 * The order of stretch `s`: every odd stretch runs backwards, so no subject always follows the
 * same one, and each starts one subject later, so whoever is timed first (after the warm-ups,
 * or after the last subject's stretch) does not stay first. A subject is timed in the
 * state the one before it leaves: the memory suite's 10 KB `set` of MemoryStore, always timed
 * right after cache-manager's, faulted in 40k fresh pages per row against 24k for the copying
 * Map, always timed after the Map that allocates nothing, and ran at 0.4x of it; in an order
 * where the copying Map followed cache-manager instead, MemoryStore ran at 1.04x of it.
 */
export function stretchOrder<T>(subjects: readonly T[], s: number): T[] {
  const base = s % 2 === 1 ? [...subjects].reverse() : subjects;
  const first = s % Math.max(1, base.length);
  return [...base.slice(first), ...base.slice(0, first)];
}

/**
 * Writes and deletes the group's keys once through `subject`, untimed, in a key space of its
 * own: the first subject of a group would otherwise pay alone for growing the process's heap
 * or the server's memory to the group's size (a 10 KB group holds 2 GB for a moment), and
 * the subjects after it would look faster than they are. A failure here is left to the rows.
 */
async function warmUp(
  subject: KvSubject | undefined,
  keys: readonly string[],
  size: number,
  inFlight: number,
): Promise<void> {
  if (subject === undefined) return;
  try {
    const kv = await subject.open(`${slug(subject.name)}-${size}-${inFlight}-warm-up`);
    const value = makeValue(size);
    await runInFlight(0, keys.length, inFlight, (i) => kv.set(keys[i] ?? '', value), undefined);
    await runInFlight(0, keys.length, inFlight, (i) => kv.delete(keys[i] ?? ''), undefined);
    await kv.close?.();
  } catch {
    // the subject's own rows fail with the reason
  }
}

function operation(
  workload: Workload,
  kv: KvOps,
  keys: readonly string[],
  size: number,
): ((i: number) => Promise<void>) | undefined {
  const key = (i: number): string => keys[i] ?? `k${i}`;
  const checkLength = (i: number, length: number | null): void => {
    verify(length === size, () => `${workload} ${key(i)}: expected ${size} bytes, got ${length}`);
  };
  const value = makeValue(size);
  switch (workload) {
    case 'set':
    case 'overwrite':
      return (i) => kv.set(key(i), value);
    case 'get':
      return async (i) => checkLength(i, await kv.get(key(i)));
    case 'get+renew': {
      const renew = kv.renew;
      if (renew === undefined) return undefined;
      return async (i) => checkLength(i, await renew(key(i)));
    }
    case 'exists':
      return async (i) => {
        const found = await kv.exists(key(i));
        verify(found, () => `exists ${key(i)}: expected true, got ${found}`);
      };
    case 'delete':
      return (i) => kv.delete(key(i));
  }
}

/** After the delete loop, every timed key must be gone; reads a spread of 100 of them. */
async function checkDeleted(kv: KvOps, keys: readonly string[], ops: number): Promise<void> {
  const step = Math.max(1, Math.floor(ops / 100));
  await runInFlight(
    0,
    Math.ceil(ops / step),
    8,
    async (j) => {
      const key = keys[j * step] ?? '';
      const length = await kv.get(key);
      verify(length === null, () => `delete ${key}: still readable (${length} bytes) afterwards`);
    },
    undefined,
  );
}

/** The length of what a peer read back (string or bytes), `null` if missing, -1 otherwise. */
export function lengthOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  return -1;
}
