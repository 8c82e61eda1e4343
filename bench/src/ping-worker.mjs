// Plain JavaScript: a worker thread does not inherit the tsx loader of the main thread.
// Runs in its own thread with its own connections, so that what it measures is the servers'
// responsiveness, not the main thread's event loop (busy with the deleteAll it is watching).
// One PING loop per URL (every master of a cluster: any of them may be the one held up).
// Protocol: 'start' begins a window, 'stop' ends it and is answered with the longest and the
// median PING round trip (ms) of the window over all loops; 'exit' closes the connections and
// ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';

const clients = workerData.urls.map((url) => new Redis(url));
let window;
// The loops that have yet to finish the PING they had in flight when 'stop' came.
let stopping;
let exiting = false;

function report() {
  const rtts = (window ?? []).sort((a, b) => a - b);
  window = undefined;
  parentPort.postMessage({
    maxMs: rtts.at(-1) ?? Number.NaN,
    p50Ms: rtts[Math.floor(rtts.length / 2)] ?? Number.NaN,
    pings: rtts.length,
  });
}

parentPort.on('message', (message) => {
  if (message === 'start') window = [];
  else if (message === 'exit') exiting = true;
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
        report();
      }
    }
  }),
);
await Promise.all(clients.map((client) => client.quit()));
parentPort.close(); // nothing else keeps the thread alive: it exits
