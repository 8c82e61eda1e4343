import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** What a PING loop saw while something ran. */
export interface Stall {
  /** Longest PING round trip, ms: how long the server (or the link) stopped answering. */
  maxMs: number;
  /** Median PING round trip, ms: the normal latency to compare against. */
  p50Ms: number;
  /** PINGs answered during the window. */
  pings: number;
  /**
   * The longest any one command held a server during the window, ms, from the servers' slow
   * logs (commands of 50 µs or more; 0 if none); `NaN` where a server refuses CONFIG. Wall
   * time, like `maxMs`: a `maxMs` well above it was no command holding a server.
   */
  serverMaxMs: number;
}

/** PING loops on their own thread and connections, for measuring server stalls. */
export class PingLoop {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts a loop against `url` (each of them, for every master of a cluster: a window's
   * numbers then span all loops) and waits until each has a connection.
   */
  static async start(url: string | readonly string[]): Promise<PingLoop> {
    const urls = typeof url === 'string' ? [url] : [...url];
    const worker = new Worker(new URL('./ping-worker.mjs', import.meta.url), {
      workerData: { urls },
    });
    const [message] = (await once(worker, 'message')) as [unknown];
    if (message !== 'ready') throw new Error(`ping worker: unexpected message ${String(message)}`);
    return new PingLoop(worker);
  }

  /** Runs `action` and reports the PINGs of that window. */
  async during(action: () => Promise<void>): Promise<Stall> {
    const started = once(this.#worker, 'message');
    this.#worker.postMessage('start');
    const [message] = (await started) as [unknown];
    if (message !== 'started')
      throw new Error(`ping worker: unexpected message ${String(message)}`);
    await action();
    const reply = once(this.#worker, 'message');
    this.#worker.postMessage('stop');
    const [stall] = (await reply) as [Stall];
    return stall;
  }

  /** Ends the loops and their connections. */
  async stop(): Promise<void> {
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('exit');
    await exited;
  }
}
