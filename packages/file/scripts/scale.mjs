// Scale measurement (not a test): writes N entries, half of them expiring, then sweeps.
//   pnpm --filter @stores/file build && node packages/file/scripts/scale.mjs [entries] [dir]
// Prints one line per phase; the directory is removed at the end unless given.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../dist/index.js';

const entries = Number(process.argv[2] ?? 100_000);
const given = process.argv[3];
const path = given ?? (await mkdtemp(join(tmpdir(), 'stores-file-scale-')));
const IN_FLIGHT = 64;
const value = new Uint8Array(256).fill(7);

let offset = 0; // the sweeping store's clock runs ahead of the writer's by this much
const store = new FileStore({ path, now: () => Date.now() + offset });

async function timed(label, run) {
  const start = performance.now();
  const result = await run();
  const ms = performance.now() - start;
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms${result === undefined ? '' : `  -> ${result}`}`,
  );
  return result;
}

async function forAll(task) {
  let next = 0;
  const worker = async () => {
    while (next < entries) await task(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

console.log(`FileStore scale: ${entries} entries of ${value.length} B in ${path}`);
await timed(`set ${entries} (half expiring)`, () =>
  forAll((i) => store.set(`key-${i}`, value, i % 2 === 0 ? { expiresIn: 60 } : undefined)),
);
await timed(`overwrite ${entries}`, () =>
  forAll((i) => store.set(`key-${i}`, value, i % 2 === 0 ? { expiresIn: 60 } : undefined)),
);
await timed(`get ${entries}`, () => forAll((i) => store.get(`key-${i}`).then(() => undefined)));
await timed('deleteExpired, nothing expired', () => store.deleteExpired());
offset = 120_000;
await timed('deleteExpired, half expired', () => store.deleteExpired());
await timed('deleteExpired again, none left', () => store.deleteExpired());
await timed(`deleteAll (${entries / 2} left)`, () => store.deleteAll());
if (given === undefined) await rm(path, { recursive: true, force: true });
