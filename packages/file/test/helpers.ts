import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory, removed after the test file. */
export function freshDir(label = 'file'): string {
  const dir = mkdtempSync(join(tmpdir(), `stores-${label}-`));
  created.push(dir);
  return dir;
}

/** This process's open descriptors to paths below `dir` (Linux: read from /proc/self/fd). */
export function descriptorsInto(dir: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false; // closed while listed
    }
  });
}

/** Where the documented layout puts `key` below namespace directory `dir`. */
export function entryPath(dir: string, key: string): string {
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  return join(dir, hash.slice(0, 2), hash);
}

/** Every path below `dir` (files and directories), relative to it. */
export function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

/** A settable fake clock in ms since the epoch. */
export function fakeClock(start = 1_700_000_000_000): {
  now: () => number;
  advance(ms: number): void;
} {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** The UTF-8 text of a value, or null. */
export function text(value: Uint8Array | null): string | null {
  return value === null ? null : Buffer.from(value).toString('utf8');
}

/** Every key `keys()` yields, sorted (Node 20 has no Array.fromAsync). */
export async function allKeys(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all.sort();
}

/** Writes `bytes` to `file`, creating its directories: a file put there by someone else. */
export function place(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}
