// Per-operation throughput (not a test): set, get, exists, expiresIn, touch and delete of
// N keys, 16 in flight, for a small and a large value.
//   pnpm --filter @stores/file build && node packages/file/scripts/ops.mjs [keys] [module]
// `module` (default: this package's dist/index.js) lets a build of other code be compared.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const keys = Number(process.argv[2] ?? 5_000);
const module = process.argv[3] ?? new URL('../dist/index.js', import.meta.url).pathname;
const { FileStore } = await import(pathToFileURL(resolve(module)).href);
const IN_FLIGHT = 16;

async function forAll(task) {
  let next = 0;
  const worker = async () => {
    while (next < keys) await task(`key-${next++}`);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function rate(label, task) {
  const start = performance.now();
  await forAll(task);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(28)} ${Math.round(keys / seconds)
      .toString()
      .padStart(7)} ops/s`,
  );
}

console.log(`FileStore operations: ${keys} keys, ${IN_FLIGHT} in flight, module ${module}`);
for (const size of [256, 64 * 1024]) {
  const path = await mkdtemp(join(tmpdir(), 'stores-file-ops-'));
  const store = new FileStore({ path });
  const value = new Uint8Array(size).fill(7);
  const label = (op) => `${op} (${size >= 1024 ? `${size / 1024} KB` : `${size} B`})`;
  try {
    await rate(label('set'), (key) => store.set(key, value, { expiresIn: 3600 }));
    await rate(label('get'), (key) => store.get(key));
    await rate(label('exists'), (key) => store.exists(key));
    await rate(label('expiresIn'), (key) => store.expiresIn(key));
    // A build from before contract v2 has no touch.
    if (typeof FileStore.prototype.doTouch === 'function') {
      await rate(label('touch'), (key) => store.touch(key, { expiresIn: 60 }));
    }
    await rate(label('delete'), (key) => store.delete(key));
  } finally {
    await store.close();
    await rm(path, { recursive: true, force: true });
  }
}
