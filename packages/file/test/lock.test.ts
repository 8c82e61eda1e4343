import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FileStore, LOCK_LEASE_MS } from '../src/index.js';
import { entryPath, freshDir, place, text } from './helpers.js';

// Lock files as the README documents them: `<entry>.lock` holding JSON.
interface LockContent {
  token: string;
  pid: number;
  host: string;
  leaseUntil: number;
}

function writeLock(dir: string, key: string, content: Partial<LockContent> | string): string {
  const lock = `${entryPath(dir, key)}.lock`;
  const full = {
    token: '0123456789abcdef',
    pid: process.pid,
    host: hostname(),
    leaseUntil: Date.now() + 60_000,
  };
  place(lock, typeof content === 'string' ? content : JSON.stringify({ ...full, ...content }));
  return lock;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)']).toString());
}

/** The take-over marker of generation `generation` for the lock with `token` (README). */
function markerPath(dir: string, key: string, token: string, generation: number): string {
  const name = createHash('sha256').update(`${token}:${generation}`).digest('hex').slice(0, 16);
  return `${entryPath(dir, key)}.${name}.tmp`;
}

/** Resolves whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  promise.then(settle, settle);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

describe('the lock of increment and setIfAbsent', () => {
  it('waits while a live holder within its lease has the lock', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await store.set('c', '5');
    const lock = writeLock(path, 'c', {});
    const increment = store.increment('c');
    const setIfAbsent = store.setIfAbsent('fresh', 'v');
    expect(await settlesWithin(increment, 300)).toBe(false);
    expect(text(await store.get('c'))).toBe('5');
    expect(await setIfAbsent).toBe(true); // another key, another lock
    rmSync(lock);
    expect(await increment).toBe(6);
  });

  it('takes over a lock whose holder process is gone from this host', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const lock = writeLock(path, 'c', { pid: deadPid(), token: 'aaaaaaaaaaaaaaaa' });
    expect(await store.increment('c')).toBe(1);
    expect(existsSync(lock)).toBe(false);
    // The marker that made the take-over exclusive stays, as a temp file, until swept.
    expect(existsSync(markerPath(path, 'c', 'aaaaaaaaaaaaaaaa', 0))).toBe(true);
  });

  it('takes over a lock whose lease has run out, whoever holds it', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    writeLock(path, 'c', { leaseUntil: Date.now() - 1 });
    expect(await store.increment('c')).toBe(1);
  });

  it("judges another host's lock by its lease alone", async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    writeLock(path, 'c', { host: `not-${hostname()}`, pid: deadPid() });
    const increment = store.increment('c');
    expect(await settlesWithin(increment, 300)).toBe(false);
    writeLock(path, 'c', {
      host: `not-${hostname()}`,
      leaseUntil: Date.now() - 1,
      token: 'b'.repeat(16),
    });
    expect(await increment).toBe(1);
  });

  it('takes over an unreadable lock file once it is a lease old, not before', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const lock = writeLock(path, 'c', '');
    const increment = store.increment('c');
    expect(await settlesWithin(increment, 300)).toBe(false);
    const old = new Date(Date.now() - LOCK_LEASE_MS - 1_000);
    utimesSync(lock, old, old);
    expect(await increment).toBe(1);
  });

  it('waits for a take-over in progress, and takes over itself when that one died midway', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const token = 'cccccccccccccccc';
    writeLock(path, 'c', { pid: deadPid(), token });
    const marker = markerPath(path, 'c', token, 0);
    writeFileSync(marker, '');
    const increment = store.increment('c');
    expect(await settlesWithin(increment, 300)).toBe(false);
    const old = new Date(Date.now() - LOCK_LEASE_MS - 1_000);
    utimesSync(marker, old, old);
    expect(await increment).toBe(1);
    expect(existsSync(markerPath(path, 'c', token, 1))).toBe(true);
  });

  it('leaves no lock, ticket or temp file behind', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    await Promise.all([
      ...Array.from({ length: 30 }, () => store.increment('c')),
      ...Array.from({ length: 30 }, (_, i) => store.setIfAbsent('c2', `v${i}`)),
    ]);
    const files = readdirSync(path, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('deleteExpired takes over locks left by crashed processes, and leaves live ones', async () => {
    const path = freshDir();
    const store = new FileStore({ path });
    const stale = writeLock(path, 'a', { pid: deadPid() });
    const live = writeLock(path, 'b', {});
    expect(await store.deleteExpired()).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('serialises two stores of one directory in one process through the lock file', async () => {
    const path = freshDir();
    const stores = [new FileStore({ path }), new FileStore({ path })];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => stores[i % 2]?.increment('c')),
    );
    expect(new Set(results).size).toBe(100);
    expect(text((await stores[0]?.get('c')) ?? null)).toBe('100');
  });
});
