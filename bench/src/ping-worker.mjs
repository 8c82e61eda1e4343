// Plain JavaScript: a worker thread does not inherit the tsx loader of the main thread.
// Runs in its own thread with its own connections, so that what it measures is the servers'
// responsiveness, not the main thread's event loop (busy with the deleteAll it is watching).
// One PING loop per URL (every master of a cluster: any of them may be the one held up).
// Protocol: 'start' begins a window and is answered with 'started' once the servers' slow
// logs are set up; 'stop' ends it and is answered with the longest and the median PING round
// trip (ms) of the window over all loops, and the longest command any server ran meanwhile;
// 'exit' closes the connections and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';

// Commands this long (µs) or longer are logged: the longest one is the server's own stall. A
// PING that waited longer than that waited for something else: another command's queue, or a
// machine whose cores were all busy (the servers, the store and this thread share them).
const SLOWER_THAN_US = 50;
const SLOWLOG_LENGTH = 100_000;

const clients = workerData.urls.map((url) => new Redis(url));
let window;
// The loops that have yet to finish the PING they had in flight when 'stop' came.
let stopping;
let exiting = false;
// Each server's slow log settings before the window, to restore; undefined where CONFIG is
// refused (a managed server): the window then has no server-side number.
let saved;

async function openSlowLogs() {
  saved = await Promise.all(
    clients.map(async (client) => {
      try {
        const [, slower] = await client.config('GET', 'slowlog-log-slower-than');
        const [, length] = await client.config('GET', 'slowlog-max-len');
        await client.config(
          'SET',
          'slowlog-log-slower-than',
          String(SLOWER_THAN_US),
          'slowlog-max-len',
          String(SLOWLOG_LENGTH),
        );
        await client.slowlog('RESET');
        return { slower, length };
      } catch {
        return undefined;
      }
    }),
  );
}

/** The longest command (ms) any server logged in the window: 0 if none took SLOWER_THAN_US. */
async function closeSlowLogs() {
  let longestUs = 0;
  let known = true;
  await Promise.all(
    clients.map(async (client, i) => {
      const settings = saved[i];
      if (settings === undefined) {
        known = false;
        return;
      }
      const entries = await client.slowlog('GET', String(SLOWLOG_LENGTH));
      for (const [, , durationUs] of entries) longestUs = Math.max(longestUs, Number(durationUs));
      await client.config(
        'SET',
        'slowlog-log-slower-than',
        settings.slower,
        'slowlog-max-len',
        settings.length,
      );
    }),
  );
  return known ? longestUs / 1000 : Number.NaN;
}

async function report() {
  const rtts = (window ?? []).sort((a, b) => a - b);
  window = undefined;
  parentPort.postMessage({
    maxMs: rtts.at(-1) ?? Number.NaN,
    p50Ms: rtts[Math.floor(rtts.length / 2)] ?? Number.NaN,
    pings: rtts.length,
    serverMaxMs: await closeSlowLogs().catch(() => Number.NaN),
  });
}

parentPort.on('message', async (message) => {
  if (message === 'start') {
    await openSlowLogs();
    window = [];
    parentPort.postMessage('started');
  } else if (message === 'exit') exiting = true;
  // Let the PINGs in flight finish: one of them may be the one the server held up.
  else if (message === 'stop') stopping = new Set(clients.keys());
});

await Promise.all(clients.map((client) => client.ping()));
parentPort.postMessage('ready');
await Promise.all(
  clients.map(async (client, i) => {
    while (!exiting) {
      const started = performance.now();
      const counted = stopping === undefined || stopping.has(i);
      await client.ping();
      if (counted) window?.push(performance.now() - started);
      if (stopping?.delete(i) && stopping.size === 0) {
        stopping = undefined;
        await report();
      }
    }
  }),
);
await Promise.all(clients.map((client) => client.quit()));
parentPort.close(); // nothing else keeps the thread alive: it exits
