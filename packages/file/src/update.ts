import { dirname } from 'node:path';
import { StoreError } from '@stores/core';
import { decodeEntry, encodeEntry } from './format.js';
import { link, lstat, rename } from './fs.js';
import { io, openEntry, readWhole, removeQuietly, syncDirectory, unless, writeTemp } from './io.js';
import { acquireLock, type FileLock } from './lock.js';

/** An unexpired entry, as an update reads and writes it. */
export interface Live {
  value: Uint8Array;
  /** ms since the epoch; `Infinity` when the entry never expires. */
  expiresAt: number;
}

/**
 * One call's change: from the live entry (or `undefined`) at time `now` to the entry after the
 * call, and the call's result. Throwing fails that call alone and changes nothing.
 */
export type Step<T> = (current: Live | undefined, now: number) => { next: Live; result: T };

/** The entry an update works on, and how to write it. */
export interface UpdateTarget {
  readonly file: string;
  /** The key's UTF-8 bytes. */
  readonly key: Uint8Array;
  readonly durable: boolean;
  readonly now: () => number;
  /** Creates the entry's directories if they are missing. */
  readonly ensure: () => Promise<void>;
}

interface Pending {
  step: Step<unknown>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

// Re-reads after the entry changed under a plain set or delete, before writing regardless.
const MAX_CONFLICTS = 4;

/**
 * Read-modify-write of entries, exact across processes: the calls on one entry queue up in this
 * process, and each batch of queued calls runs under the entry's file lock (see lock.ts) with
 * one read and one write for the whole batch, the calls applied in order. Readers never see
 * the values between two calls of a batch; each call's result is what it would have been alone.
 */
export class Updates {
  readonly #queues = new Map<string, Pending[]>();

  /** Runs `step` on the entry of `target` once every call queued before it has run. */
  run<T>(target: UpdateTarget, step: Step<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = { step, resolve, reject } as Pending;
      const queue = this.#queues.get(target.file);
      if (queue !== undefined) {
        queue.push(pending);
        return;
      }
      const fresh = [pending];
      this.#queues.set(target.file, fresh);
      void this.#drain(target, fresh);
    });
  }

  async #drain(target: UpdateTarget, queue: Pending[]): Promise<void> {
    try {
      do {
        // Let the calls already under way (queued as microtasks) join this batch.
        await new Promise(setImmediate);
        await runBatch(target, queue.splice(0));
      } while (queue.length > 0);
    } finally {
      this.#queues.delete(target.file);
    }
  }
}

/** Runs `batch` under the entry's lock; settles every call, never rejects. */
async function runBatch(target: UpdateTarget, batch: Pending[]): Promise<void> {
  let outcomes: Outcome[];
  try {
    await target.ensure();
    const lock = await io('lock', target.file, () => acquireLock(target.file, target.ensure));
    try {
      outcomes = await applyLocked(target, batch, lock);
    } finally {
      // A lock we fail to remove is taken over once its lease runs out; what was written stands.
      await lock.release().catch(() => undefined);
    }
  } catch (error) {
    for (const pending of batch) pending.reject(error);
    return;
  }
  for (const [i, outcome] of outcomes.entries()) {
    const pending = batch[i] as Pending;
    if (outcome.ok) pending.resolve(outcome.result);
    else pending.reject(outcome.error);
  }
}

async function applyLocked(
  target: UpdateTarget,
  batch: readonly Pending[],
  lock: FileLock,
): Promise<Outcome[]> {
  for (let attempt = 1; ; attempt++) {
    const found = await readCurrent(target);
    const now = target.now();
    const initial =
      found.entry !== undefined && now < found.entry.expiresAt ? found.entry : undefined;
    let state = initial;
    const outcomes = batch.map(({ step }): Outcome => {
      try {
        const { next, result } = step(state, now);
        state = next;
        return { ok: true, result };
      } catch (error) {
        return { ok: false, error };
      }
    });
    if (state === undefined || state === initial) return outcomes;
    if (await commit(target, state, found.ino, lock, attempt === MAX_CONFLICTS)) return outcomes;
  }
}

interface Current {
  /** The entry, if a valid one for the key is there (expired or not). */
  entry: Live | undefined;
  /** The inode at the entry's path, whatever it is; `undefined` if nothing is there. */
  ino: bigint | undefined;
}

async function readCurrent({ file, key }: UpdateTarget): Promise<Current> {
  const handle = await io('open', file, () => openEntry(file, false));
  if (handle === undefined) {
    const info = await io('inspect', file, () =>
      unless(['ENOENT'], undefined, () => lstat(file, { bigint: true })),
    );
    return { entry: undefined, ino: info?.ino };
  }
  try {
    return await io('read', file, async () => {
      const info = await handle.stat({ bigint: true });
      const bytes = info.isFile() ? await readWhole(handle, Number(info.size)) : undefined;
      const entry = bytes === undefined ? undefined : decodeEntry(bytes, key);
      return { entry, ino: info.ino };
    });
  } finally {
    await handle.close();
  }
}

/**
 * Writes `next` if the entry's path still holds what was read (inode `ino`, or nothing), else
 * resolves `false` so the batch is applied again to what a plain set or delete left. With
 * `force`, writes regardless. Nothing is written once the lock's lease is nearly out.
 */
async function commit(
  target: UpdateTarget,
  next: Live,
  ino: bigint | undefined,
  lock: FileLock,
  force: boolean,
): Promise<boolean> {
  const { file, key, durable } = target;
  const bytes = encodeEntry(key, next.value, next.expiresAt);
  const temp = await writeTemp(file, bytes, durable, target.ensure);
  let renamed = false;
  try {
    if (!lock.held) {
      throw new StoreError(
        'STORE_IO',
        `FileStore held the lock of ${file} past its lease (the process stalled); nothing was written`,
      );
    }
    if (ino === undefined && !force) {
      // Nothing was there: link() creates the entry only if no plain set did meanwhile.
      const created = await io('link into', file, () =>
        unless(['EEXIST'], false, () => link(temp, file).then(() => true)),
      );
      if (!created) return false;
    } else {
      const info = await io('inspect', file, () =>
        unless(['ENOENT'], undefined, () => lstat(file, { bigint: true })),
      );
      if (!force && info?.ino !== ino) return false;
      await io('rename into', file, () => rename(temp, file));
      renamed = true;
    }
  } finally {
    if (!renamed) await removeQuietly(temp);
  }
  if (durable) await io('sync', dirname(file), () => syncDirectory(dirname(file)));
  return true;
}
