// Plain JavaScript: a worker thread does not inherit the tsx loader of the main thread.
// Runs in its own thread with its own connection, so that what it measures is the server's
// responsiveness, not the main thread's event loop (busy with the deleteAll it is watching).
// Protocol: 'start' begins a window, 'stop' ends it and is answered with the longest and the
// median PING round trip (ms) of the window; 'exit' closes the connection and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';

const client = new Redis(workerData.url);
let window;
let stopping;
let exiting = false;

parentPort.on('message', (message) => {
  if (message === 'start') window = [];
  else if (message === 'exit') exiting = true;
  else if (message === 'stop') {
    // Let the PING in flight finish: it may be the one the server held up.
    stopping = () => {
      const rtts = (window ?? []).sort((a, b) => a - b);
      window = undefined;
      parentPort.postMessage({
        maxMs: rtts.at(-1) ?? Number.NaN,
        p50Ms: rtts[Math.floor(rtts.length / 2)] ?? Number.NaN,
        pings: rtts.length,
      });
    };
  }
});

await client.ping();
parentPort.postMessage('ready');
while (!exiting) {
  const started = performance.now();
  await client.ping();
  window?.push(performance.now() - started);
  if (stopping !== undefined) {
    stopping();
    stopping = undefined;
  }
}
await client.quit();
parentPort.close(); // nothing else keeps the thread alive: it exits
