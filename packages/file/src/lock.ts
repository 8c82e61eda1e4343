import { createHash, randomBytes } from 'node:crypto';
import { constants as fs } from 'node:fs';
import { hostname } from 'node:os';
import { StoreError } from '@stores/core';
import { link, lstat, open, unlink } from './fs.js';
import { errorCode, removeQuietly, unless, writeTemp } from './io.js';

/*
 * The lock of one entry, for the read-modify-write of increment and setIfAbsent, shared by
 * every process on the directory. Node has no flock, so it is a file:
 *
 *   <entry>.lock   {"token":"<16 hex>","pid":123,"host":"name","leaseUntil":<ms epoch>}
 *
 * Acquire: write that content to a ticket (a temp file), then link() it to the lock name:
 * link fails if the lock exists, and the lock is never seen half written.
 * Release: unlink the lock, while the lease leaves a margin (no one may take it over before).
 * Take over a stale lock (its holder's process is gone from this host, or its lease ran out):
 * create a marker named after the stale lock's token, exclusively, so of all the processes
 * that saw the stale lock exactly one removes it; the marker stays (a temp file, swept an hour
 * later), so a process that saw the stale lock late cannot remove the next holder's lock. A
 * marker older than the lease belongs to a process that died while taking over: the next
 * generation of marker (another name) may then.
 */

/** How long a holder may keep an entry's lock; a lock held longer is taken over. */
export const LOCK_LEASE_MS: number = 10_000;
// A holder commits, or releases without the take-over protocol, only while this much of its
// lease is left, so nothing it does lands after another process could take the lock over.
const LEASE_MARGIN_MS = 2_000;
// Waiters poll: 1 ms, doubling up to this; a holder that died is noticed within one interval.
const POLL_MAX_MS = 16;
// A waiter gives up with STORE_IO after this long (the lock kept changing hands all along).
const WAIT_LIMIT_MS = 6 * LOCK_LEASE_MS;

const HOST = hostname();
const READ_FLAGS = fs.O_RDONLY | (fs.O_NOFOLLOW ?? 0) | (fs.O_NONBLOCK ?? 0);
const MAX_LOCK_BYTES = 1024;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface LockContent {
  token: string;
  pid: number;
  host: string;
  leaseUntil: number;
}

/** Who holds a lock, as far as a waiter can tell. */
interface Holder {
  /** The lock's token, or for an unreadable lock file its inode and modification time. */
  id: string;
  stale: boolean;
}

/** An entry's lock, held by this process until `release()`. */
export class FileLock {
  readonly #file: string;
  readonly #token: string;
  readonly #leaseUntil: number;

  constructor(file: string, token: string, leaseUntil: number) {
    this.#file = file;
    this.#token = token;
    this.#leaseUntil = leaseUntil;
  }

  /** True while the lease leaves time to commit: no other process can have taken it over. */
  get held(): boolean {
    return Date.now() < this.#leaseUntil - LEASE_MARGIN_MS;
  }

  /** Releases the lock (through the take-over protocol once the lease is nearly out). */
  async release(): Promise<void> {
    if (this.held) await unless(['ENOENT'], undefined, () => unlink(lockPath(this.#file)));
    else await takeOver(this.#file, this.#token);
  }
}

/**
 * Acquires the lock of entry `file`, waiting for a live holder and taking over a stale one.
 * `ensure` recreates the entry's directory if it is missing.
 */
export async function acquireLock(file: string, ensure: () => Promise<void>): Promise<FileLock> {
  const lock = lockPath(file);
  const started = Date.now();
  let ticket: Ticket | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      // A ticket written long ago would start its holder's lease short: write a new one.
      if (ticket !== undefined && ticket.leaseUntil - Date.now() < LOCK_LEASE_MS / 2) {
        await removeQuietly(ticket.path);
        ticket = undefined;
      }
      ticket ??= await writeTicket(file, ensure);
      try {
        await link(ticket.path, lock);
        return new FileLock(file, ticket.token, ticket.leaseUntil);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const holder = await readHolder(lock);
      if (holder === undefined) continue; // released meanwhile
      if (holder.stale && (await takeOver(file, holder.id))) continue;
      if (Date.now() - started >= WAIT_LIMIT_MS) {
        throw new StoreError(
          'STORE_IO',
          `FileStore waited ${WAIT_LIMIT_MS} ms for the lock ${lock} and gave up: other ` +
            'operations on this key held it all along',
        );
      }
      await sleep(Math.min(POLL_MAX_MS, 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  } finally {
    // Once linked, the lock keeps the inode; the ticket's own name goes.
    if (ticket !== undefined) await removeQuietly(ticket.path);
  }
}

/**
 * Takes over the lock of `lockFile` (a `.lock` file of the layout) if it is stale; a sweep calls
 * this for locks left by crashed processes.
 */
export async function removeStaleLock(lockFile: string): Promise<void> {
  const holder = await readHolder(lockFile);
  if (holder?.stale === true) await takeOver(lockFile.slice(0, -'.lock'.length), holder.id);
}

function lockPath(file: string): string {
  return `${file}.lock`;
}

interface Ticket {
  path: string;
  token: string;
  leaseUntil: number;
}

async function writeTicket(file: string, ensure: () => Promise<void>): Promise<Ticket> {
  const token = randomBytes(8).toString('hex');
  const leaseUntil = Date.now() + LOCK_LEASE_MS;
  const content: LockContent = { token, pid: process.pid, host: HOST, leaseUntil };
  const bytes = encoder.encode(`${JSON.stringify(content)}\n`);
  return { path: await writeTemp(file, bytes, false, ensure), token, leaseUntil };
}

/** Reads the lock file; `undefined` if there is none. */
async function readHolder(lock: string): Promise<Holder | undefined> {
  const handle = await unless(['ENOENT', 'ELOOP', 'ENXIO'], null, () => open(lock, READ_FLAGS));
  if (handle === null) {
    // Gone, or something that is not a lock file (a link): judged by its own inode.
    const info = await unless(['ENOENT'], undefined, () => lstat(lock, { bigint: true }));
    return info === undefined ? undefined : unreadable(info.ino, info.mtimeNs);
  }
  try {
    const info = await handle.stat({ bigint: true });
    const bytes = new Uint8Array(MAX_LOCK_BYTES);
    const bytesRead = info.isFile() ? await handle.read(bytes, 0, bytes.length, 0) : 0;
    const content = parse(bytes.subarray(0, bytesRead));
    if (content === undefined) return unreadable(info.ino, info.mtimeNs);
    const stale =
      Date.now() >= content.leaseUntil || (content.host === HOST && !isAlive(content.pid));
    return { id: content.token, stale };
  } finally {
    await handle.close();
  }
}

/**
 * A lock file whose holder cannot be read (cut short by a power loss, or not ours): stale once
 * it is a lease old.
 */
function unreadable(ino: bigint, mtimeNs: bigint): Holder {
  const stale = Date.now() >= Number(mtimeNs / 1_000_000n) + LOCK_LEASE_MS;
  return { id: `${ino}:${mtimeNs}`, stale };
}

function parse(bytes: Uint8Array): LockContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  const content = value as Partial<LockContent> | null;
  if (
    typeof content?.token !== 'string' ||
    typeof content.host !== 'string' ||
    typeof content.pid !== 'number' ||
    !Number.isSafeInteger(content.pid) ||
    content.pid <= 0 ||
    !Number.isFinite(content.leaseUntil)
  ) {
    return undefined;
  }
  return content as LockContent;
}

/** True unless no process `pid` exists on this host (EPERM: it exists, owned by another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Removes the lock of `file` whose holder is `id`, if this process wins the right to: resolves
 * `true` if it removed it, or found it already gone.
 */
async function takeOver(file: string, id: string): Promise<boolean> {
  const lock = lockPath(file);
  for (let generation = 0; ; generation++) {
    const started = Date.now();
    const marker = `${file}.${markerName(id, generation)}.tmp`;
    const handle = await unless(['EEXIST'], undefined, () => open(marker, 'wx'));
    if (handle === undefined) {
      const info = await unless(['ENOENT'], undefined, () => lstat(marker));
      // Whoever made that marker died before finishing: the next generation may take over.
      if (info !== undefined && Date.now() - info.mtimeMs >= LOCK_LEASE_MS) continue;
      return false; // another process is taking it over right now
    }
    await handle.close();
    // Remove only the lock judged stale (not a successor), and only promptly.
    const current = await readHolder(lock);
    if (current?.id !== id) return true;
    if (Date.now() - started >= LEASE_MARGIN_MS) return false;
    await unless(['ENOENT'], undefined, () => unlink(lock));
    return true;
  }
}

function markerName(id: string, generation: number): string {
  return createHash('sha256').update(`${id}:${generation}`).digest('hex').slice(0, 16);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
