import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore, LOCK_LEASE_MS, STALE_TEMP_MS } from '../src/index.js';
import { BUILD_SNAPSHOT } from './global-setup.js';
import { entryPath, freshDir } from './helpers.js';

const WORKER = join(import.meta.dirname, 'fixtures', 'worker.mjs');

function start(args: string[]): ChildProcess {
  return fork(WORKER, args, {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, STORES_FILE_BUILD: BUILD_SNAPSHOT },
  });
}

/** Resolves with the child's whole stdout once it exits with code 0. */
function finished(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`worker exited ${code ?? signal}: ${out}`)),
    );
  });
}

/** Resolves when the child prints "ready". */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A 64 KB value as the worker writes it: a SHA-256 of the rest, then random bytes. */
function workerValue(): Buffer {
  const body = randomBytes(64 * 1024 - 32);
  return Buffer.concat([createHash('sha256').update(body).digest(), body]);
}

/** True for a complete 64 KB value as the worker writes it (SHA-256 of the rest up front). */
function complete(value: Uint8Array): boolean {
  if (value.length !== 64 * 1024) return false;
  const digest = createHash('sha256').update(value.subarray(32)).digest();
  return Buffer.from(value.subarray(0, 32)).equals(digest);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('four processes sharing one directory', () => {
  it('never read a torn or lost value over 10k mixed operations on 100 keys with 64 KB values', async () => {
    const path = freshDir('hammer');
    const store = new FileStore({ path });
    // Every key exists before the workers start; they never delete the lower half.
    for (let i = 0; i < 100; i++) await store.set(`key-${i}`, workerValue());
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => finished(start(['hammer', path, '2500', '100']))),
    );
    const totals = { sets: 0, reads: 0, misses: 0, torn: 0, lost: 0, deletes: 0, renews: 0 };
    for (const out of outputs) {
      const counts = JSON.parse(out) as typeof totals;
      for (const name of Object.keys(totals) as (keyof typeof totals)[]) {
        totals[name] += counts[name];
      }
    }
    console.log('hammer, 4 processes:', JSON.stringify(totals));
    const { sets, reads, misses, torn, lost, deletes } = totals;
    expect(sets + reads + misses + torn + lost + deletes).toBe(10_000);
    expect(torn).toBe(0);
    expect(lost).toBe(0);
    expect(reads).toBeGreaterThan(0);
  });
});

describe('a writer killed with SIGKILL mid-write, 20 times', () => {
  it('leaves every entry a complete old or new value, and deleteExpired sweeps its temp files', async () => {
    const path = freshDir('crash');
    const keys = 20;
    const store = new FileStore({ path });
    const tempsSeen = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const child = start(['writer', path, String(keys), String(round % 2 === 1)]);
      await ready(child);
      await sleep(Math.random() * 40);
      await killed(child);
      for (let i = 0; i < keys; i++) {
        const value = await store.get(`key-${i}`);
        expect(value, `key-${i} after kill ${round}`).not.toBeNull();
        expect(complete(value ?? new Uint8Array(0)), `key-${i} after kill ${round}`).toBe(true);
      }
      for (const temp of temps(path)) tempsSeen.add(temp);
    }
    const leftover = temps(path).length;
    // Not yet stale by the real clock: another process's write could be in flight.
    await store.deleteExpired();
    expect(temps(path)).toHaveLength(leftover);
    const later = new FileStore({ path, now: () => Date.now() + STALE_TEMP_MS });
    expect(await later.deleteExpired()).toBe(0);
    expect(temps(path)).toEqual([]);
    console.log(
      `kill -9: 20 kills, distinct temp files left behind: ${tempsSeen.size}, swept: ${leftover}`,
    );
    for (let i = 0; i < keys; i++)
      expect(complete((await store.get(`key-${i}`)) ?? new Uint8Array(0))).toBe(true);
  });
});

describe('renew racing another process', () => {
  it('never resurrects a deleted entry nor clobbers a newer set', async () => {
    const path = freshDir('renew');
    const store = new FileStore({ path });
    const key = 'contested';
    await store.set(key, 'seed', { expiresIn: 60 });
    const renewer = start(['renewer', path, key]);
    await ready(renewer);
    try {
      for (let i = 0; i < 300; i++) {
        await store.set(key, `old-${i}`, { expiresIn: 60 });
        await store.delete(key);
        expect(await store.exists(key)).toBe(false);
        await store.set(key, `old-${i}`, { expiresIn: 60 });
        await store.set(key, `new-${i}`); // no expiry: a renew may not add one or undo this
        expect(Buffer.from((await store.get(key)) ?? []).toString()).toBe(`new-${i}`);
        expect(await store.expiresIn(key)).toBe(Number.POSITIVE_INFINITY);
        await sleep(0);
        expect(await store.exists(key)).toBe(true);
        expect(await store.expiresIn(key)).toBe(Number.POSITIVE_INFINITY);
      }
    } finally {
      await killed(renewer);
    }
  });
});

describe('increment and setIfAbsent across four processes', () => {
  it('4 processes × 500 increments, 64 in flight each, leave exactly 2000 and distinct results', async () => {
    const path = freshDir('increment');
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => finished(start(['increment', path, 'c', '500', '64']))),
    );
    const results = outputs.flatMap((out) => JSON.parse(out) as number[]);
    expect(results).toHaveLength(2000);
    expect([...results].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
    expect(Buffer.from((await new FileStore({ path }).get('c')) ?? []).toString()).toBe('2000');
  });

  it('4 processes × 50 concurrent setIfAbsent calls on one key: exactly one wins', async () => {
    const path = freshDir('set-if-absent');
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => finished(start(['setIfAbsent', path, 'k', '50']))),
    );
    const results = outputs.map((out) => JSON.parse(out) as boolean[]);
    expect(results.flat().filter(Boolean)).toHaveLength(1);
    const winner = results.findIndex((r) => r.includes(true));
    const value = Buffer.from((await new FileStore({ path }).get('k')) ?? []).toString();
    expect(value).toMatch(/^\d+-\d+$/);
    expect(results[winner]?.indexOf(true)).toBe(Number(value.split('-')[1]));
  });
});

describe('a process killed with SIGKILL while it increments, 20 times', () => {
  it('leaves a whole counter holding every acknowledged increment, and the lock is recovered within the lease', async () => {
    const path = freshDir('kill-increment');
    const store = new FileStore({ path });
    const lock = `${entryPath(path, 'c')}.lock`;
    const recoveries: number[] = [];
    let heldAtKill = 0;
    for (let round = 0; round < 20; round++) {
      const child = start(['incrementer', path, 'c']);
      let acked = 0;
      child.stdout?.on('data', (chunk: Buffer) => {
        for (const match of chunk.toString().matchAll(/acked (\d+)/g)) {
          acked = Math.max(acked, Number(match[1]));
        }
      });
      await ready(child);
      await sleep(20 + Math.random() * 40);
      await killed(child);
      if (existsSync(lock)) heldAtKill++;
      const value = Buffer.from((await store.get('c')) ?? []).toString();
      expect(value, `round ${round}`).toMatch(/^[1-9]\d*$/);
      expect(Number(value), `round ${round}`).toBeGreaterThanOrEqual(acked);
      const started = performance.now();
      expect(await store.increment('c'), `round ${round}`).toBe(Number(value) + 1);
      recoveries.push(performance.now() - started);
    }
    console.log(
      `kill -9 mid-increment: lock held at the kill in ${heldAtKill} of 20 rounds; next increment took ${recoveries.map((ms) => ms.toFixed(1)).join(', ')} ms`,
    );
    // About half the kills land inside a locked batch: then the take-over path ran.
    expect(heldAtKill).toBeGreaterThan(0);
    for (const ms of recoveries) expect(ms).toBeLessThan(LOCK_LEASE_MS);
    expect(existsSync(lock)).toBe(false);
  });
});

function temps(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}
