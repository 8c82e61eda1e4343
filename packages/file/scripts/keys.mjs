// keys() over many entries: keys/s and the heap while it streams (not a test).
//   pnpm --filter @stores/file build && node --expose-gc packages/file/scripts/keys.mjs [entries]
// Writes `entries` (default 100k) entries of 256 B, lists them all, then with a prefix that
// matches a tenth of them. Heap: the most the heap grew while listing (garbage included), and
// the most it held after a full GC every 5,000 keys (what the listing keeps alive).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../dist/index.js';

const entries = Number(process.argv[2] ?? 100_000);
const gc = globalThis.gc ?? (() => {});
const path = await mkdtemp(join(tmpdir(), 'stores-file-keys-'));
const store = new FileStore({ path });
const value = new Uint8Array(256).fill(7);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

let next = 0;
const writer = async () => {
  while (next < entries) {
    const i = next++;
    await store.set(`user:${i % 10}:${i}`, value);
  }
};
await Promise.all(Array.from({ length: 64 }, writer));

async function list(label, options) {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let live = base;
  let count = 0;
  let gcMs = 0;
  const start = performance.now();
  for await (const _ of store.keys(options)) {
    if (++count % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    if (count % 5000 === 0) {
      const before = performance.now();
      gc();
      live = Math.max(live, process.memoryUsage().heapUsed);
      gcMs += performance.now() - before;
    }
  }
  const seconds = (performance.now() - start - gcMs) / 1000;
  console.log(
    `${label.padEnd(26)} ${String(count).padStart(7)} keys ${seconds.toFixed(2).padStart(6)} s ` +
      `${Math.round(entries / seconds)
        .toString()
        .padStart(7)} entries read/s  heap: +${mb(peak - base)} ` +
      `at most, +${mb(live - base)} live`,
  );
}

console.log(
  `FileStore keys(): ${entries} entries in ${path}${globalThis.gc ? '' : ' (run with --expose-gc for exact heap numbers)'}`,
);
try {
  await list('keys()', undefined);
  await list("keys({ prefix: 'user:3:' })", { prefix: 'user:3:' });
} finally {
  await rm(path, { recursive: true, force: true });
}
