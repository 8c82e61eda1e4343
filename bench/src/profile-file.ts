/**
 * CPU per operation of FileStore get / overwrite against raw readFile, 64 in flight, 100 B
 * values, three interleaved rounds; run under `node --cpu-prof` to see where it goes.
 * `node --import tsx src/profile-file.ts` (from `bench/`, `@stores/file` built).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@stores/file';
import { runInFlight } from './harness.js';

const ENTRIES = 5000;
const OPS = ENTRIES * 4;
const dir = await mkdtemp(join(tmpdir(), 'profile-file-'));
const store = new FileStore({ path: join(dir, 'store') });
const value = Buffer.alloc(100, 120);
await mkdir(join(dir, 'raw'));
for (let i = 0; i < ENTRIES; i++) {
  await store.set(`k${i}`, value);
  await writeFile(join(dir, 'raw', `k${i}`), value);
}

async function run(label: string, op: (i: number) => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await runInFlight(0, OPS, 64, (i) => op(i % ENTRIES), undefined);
  const used = process.cpuUsage(cpu);
  const opsPerSec = Math.round(OPS / ((performance.now() - started) / 1000));
  const cpuUs = ((used.user + used.system) / OPS).toFixed(1);
  console.log(`${label}: ${opsPerSec} ops/s, ${cpuUs} µs CPU per op`);
}

try {
  for (let round = 0; round < 3; round++) {
    await run('FileStore get', (i) => store.get(`k${i}`));
    await run('raw readFile', (i) => readFile(join(dir, 'raw', `k${i}`)));
    await run('FileStore overwrite', (i) => store.set(`k${i}`, value));
  }
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
