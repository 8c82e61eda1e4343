import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A fixture running in its own Node process, spoken to over IPC. */
export interface Child {
  /** The next message the child sends; rejects if it exits first. */
  next<T>(): Promise<T>;
  /** Sends the child a message. */
  send(message: unknown): void;
  /** Disconnects, so the child shuts down; resolves once it exited with code 0. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

// A failed test must not leave processes behind to hold servers and directories.
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * Starts `test/fixtures/<fixture>` with `config` (JSON, as its one argument). The child runs
 * the BUILT packages (dist/), as an application would; test/global-setup.ts builds ours.
 */
export function startChild(fixture: string, config: unknown): Child {
  const child = fork(join(import.meta.dirname, 'fixtures', fixture), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const queue: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  child.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve === undefined) queue.push(message);
    else resolve(message);
  });
  const early = exited.then((code) => {
    throw new Error(`${fixture} exited with code ${code} before sending a message`);
  });
  early.catch(() => {}); // only an error while someone waits for a message
  return {
    next<T>() {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      return Promise.race([
        new Promise<T>((resolve) => waiting.push((message) => resolve(message as T))),
        early,
      ]);
    },
    send(message) {
      child.send(message as never);
    },
    async stop() {
      if (child.connected) child.disconnect();
      const code = await exited;
      if (code !== 0) throw new Error(`${fixture} exited with code ${code}`);
    },
  };
}
