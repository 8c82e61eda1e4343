/**
 * A/B of deleteAll's SCAN COUNT in one process, interleaved rounds: the store's algorithm (cursor
 * SCAN MATCH, each page UNLINKed in batches of 1000 while the next page is scanned) on raw
 * ioredis, 100k keys of a namespace among 100k others. Reports per COUNT the median total time
 * and the server's own time per SCAN and per UNLINK call (INFO commandstats, which machine load
 * barely moves, unlike a PING probe). `node --import tsx src/ab-delete-all.ts [rounds]`.
 */
import { Redis } from 'ioredis';
import { startServer } from './servers.js';

const ENTRIES = 100_000;
const COUNTS = [4000, 2000, 1000, 500];
const rounds = Number(process.argv[2] ?? 3);
const server = await startServer('redis');
if (typeof server === 'string') throw new Error(server);
const client = new Redis(server.url);
const value = 'x'.repeat(100);

async function load(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) args.push(`${prefix}${j}`, value);
    await client.mset(...args);
  }
}

async function deleteMatching(pattern: string, count: number): Promise<void> {
  let cursor = '0';
  let unlinking: Promise<unknown> = Promise.resolve();
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    await unlinking;
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < keys.length; i += 1000)
      batches.push(client.unlink(...keys.slice(i, i + 1000)));
    unlinking = Promise.all(batches);
  } while (cursor !== '0');
  await unlinking;
}

function usecPerCall(info: string, command: string): number {
  const match = new RegExp(
    `cmdstat_${command}:calls=(\\d+),usec=(\\d+),usec_per_call=([\\d.]+)`,
  ).exec(info);
  return Number(match?.[3] ?? Number.NaN);
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const rows = new Map<number, { ms: number[]; scan: number[]; unlink: number[] }>();
try {
  await load('other:', ENTRIES);
  for (let round = 0; round < rounds; round++) {
    for (const count of round % 2 === 0 ? COUNTS : [...COUNTS].reverse()) {
      await load('N:', ENTRIES);
      await client.call('CONFIG', 'RESETSTAT');
      const started = performance.now();
      await deleteMatching('N:*', count);
      const ms = performance.now() - started;
      const info = (await client.info('commandstats')) as string;
      if ((await client.dbsize()) !== ENTRIES)
        throw new Error('deleteAll left keys or took others');
      const row = rows.get(count) ?? { ms: [], scan: [], unlink: [] };
      row.ms.push(ms);
      row.scan.push(usecPerCall(info, 'scan'));
      row.unlink.push(usecPerCall(info, 'unlink'));
      rows.set(count, row);
    }
  }
} finally {
  await client.quit();
  await server.stop();
}
console.log(
  `SCAN COUNT | median total ms | median µs per SCAN | median µs per UNLINK (${rounds} rounds)`,
);
for (const [count, row] of rows) {
  console.log(
    `${count} | ${median(row.ms).toFixed(0)} | ${median(row.scan).toFixed(0)} | ${median(row.unlink).toFixed(0)} | ms: ${row.ms.map((m) => m.toFixed(0)).join(' ')}`,
  );
}
