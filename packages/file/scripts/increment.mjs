// increment() throughput on one key at 1 and 4 processes, and how long the next increment
// takes after a process holding the lock was killed with SIGKILL (not a test).
//   pnpm --filter @stores/file build && node packages/file/scripts/increment.mjs [increments]
// `increments` (default 4000) is the total per measurement, split over the processes.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../dist/index.js';

const SCRIPT = fileURLToPath(import.meta.url);
const KEY = 'counter';

/** Runs `count` increments of KEY with `inFlight` at once. */
async function incrementMany(path, count, inFlight) {
  const store = new FileStore({ path });
  let left = count;
  const loop = async () => {
    while (left-- > 0) await store.increment(KEY);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
}

function child(args) {
  const process = fork(SCRIPT, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const exited = new Promise((resolve, reject) =>
    process.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}`)),
    ),
  );
  return { process, exited };
}

async function throughput(processes, total, inFlight) {
  const path = await mkdtemp(join(tmpdir(), 'stores-file-increment-'));
  try {
    const start = performance.now();
    if (processes === 1) await incrementMany(path, total, inFlight);
    else {
      const each = String(total / processes);
      await Promise.all(
        Array.from(
          { length: processes },
          () => child(['work', path, each, String(inFlight)]).exited,
        ),
      );
    }
    const seconds = (performance.now() - start) / 1000;
    const value = new TextDecoder().decode(await new FileStore({ path }).get(KEY));
    if (value !== String(total)) throw new Error(`expected ${total}, found ${value}`);
    const label = `${processes} process${processes > 1 ? 'es' : ''}, ${inFlight} in flight each`;
    console.log(
      `${label.padEnd(34)} ${Math.round(total / seconds)
        .toString()
        .padStart(7)} increments/s`,
    );
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

/** Kills an incrementing process `rounds` times; times the next increment in this process. */
async function recovery(rounds) {
  const path = await mkdtemp(join(tmpdir(), 'stores-file-recovery-'));
  const store = new FileStore({ path });
  const times = [];
  let held = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const worker = child(['forever', path]);
      await new Promise((resolve) => worker.process.stdout.once('data', resolve));
      await sleep(10 + Math.random() * 30);
      worker.process.kill('SIGKILL');
      await worker.exited;
      if (existsSync(lockFile(path))) held++;
      const start = performance.now();
      await store.increment(KEY);
      times.push(performance.now() - start);
    }
  } finally {
    await rm(path, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(
    `after kill -9 (${held} of ${rounds} kills left the lock held): next increment ` +
      `min ${at(0)} ms, median ${at(0.5)} ms, max ${at(1)} ms`,
  );
}

/** Where the documented layout puts KEY's lock file. */
function lockFile(path) {
  const hash = createHash('sha256').update(KEY).digest('hex');
  return join(path, hash.slice(0, 2), `${hash}.lock`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'work') {
  await incrementMany(args[0], Number(args[1]), Number(args[2]));
} else if (mode === 'forever') {
  const store = new FileStore({ path: args[0] });
  await store.increment(KEY);
  console.log('ready');
  const loop = async () => {
    for (;;) await store.increment(KEY);
  };
  await Promise.all(Array.from({ length: 64 }, loop));
} else {
  const total = Number(mode ?? 4000);
  console.log(`FileStore increment() of one key, ${total} increments per line`);
  await throughput(1, total, 1);
  await throughput(1, total, 64);
  await throughput(4, total, 1);
  await throughput(4, total, 64);
  await recovery(20);
}
