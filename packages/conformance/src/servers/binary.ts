import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onFreePort } from './ports.js';
import { guardProcess, releaseProcess } from './reaper.js';
import type { ServerKind } from './types.js';

const READY = 'Ready to accept connections';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** The executables of each kind. */
export const EXECUTABLES: Record<ServerKind, { server: string; cli: string }> = {
  redis: { server: 'redis-server', cli: 'redis-cli' },
  valkey: { server: 'valkey-server', cli: 'valkey-cli' },
};

const found = new Map<string, Promise<boolean>>();

/** Whether `name` is an executable file in a directory of PATH (cached per PATH and name). */
export function onPath(name: string): Promise<boolean> {
  const path = process.env.PATH ?? '';
  const key = `${path}${delimiter}${name}`;
  let answer = found.get(key);
  if (answer === undefined) {
    const dirs = path.split(delimiter).filter((dir) => dir !== '');
    answer = Promise.any(dirs.map((dir) => access(join(dir, name), constants.X_OK))).then(
      () => true,
      () => false,
    );
    found.set(key, answer);
  }
  return answer;
}

/** How to start a server other than a plain one: from a config file, ready on another line. */
export interface SpawnMode {
  /** A config file to start from (a Sentinel needs one it can rewrite). */
  readonly config?: string;
  /** The output line that says it is ready. Default: `Ready to accept connections`. */
  readonly ready?: string;
}

/** The port was taken between `freePort()` and the server's bind. */
export class AddressInUseError extends Error {}

/** One server process on 127.0.0.1 with its own temp dir, which goes when the process does. */
export class ServerProcess {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Resolves once the process has exited and its temp dir is removed. */
  readonly exited: Promise<void>;
  readonly #kill: (signal: NodeJS.Signals) => void;

  private constructor(port: number, exited: Promise<void>, kill: (signal: NodeJS.Signals) => void) {
    this.port = port;
    this.exited = exited;
    this.#kill = kill;
  }

  /**
   * Spawns `executable` on `port` without persistence and resolves once it is ready to accept
   * connections; rejects with `AddressInUseError` when the port is taken.
   */
  static async spawn(
    executable: string,
    port: number,
    extraArgs: readonly string[] = [],
    mode: SpawnMode = {},
  ): Promise<ServerProcess> {
    const dir = await mkdtemp(join(tmpdir(), `stores-${executable}-`));
    // A config file must come first; the options after it are appended to it.
    const args = mode.config === undefined ? [] : [mode.config];
    args.push('--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '');
    args.push('--appendonly', 'no', '--daemonize', 'no', ...extraArgs);
    const readyLine = mode.ready ?? READY;
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let ready = false;
    const exited = new Promise<void>((resolve) => {
      child.on('close', () => {
        if (child.pid !== undefined) releaseProcess(child.pid);
        rm(dir, { recursive: true, force: true }).then(resolve, resolve);
      });
    });
    return new Promise<ServerProcess>((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        // Without a pid the process never started, and no 'close' may follow.
        if (child.pid === undefined) {
          reject(error);
        } else {
          child.kill('SIGKILL');
          exited.then(() => reject(error));
        }
      };
      const timer = setTimeout(
        () => fail(new Error(`${executable} not ready in ${READY_TIMEOUT_MS} ms:\n${output}`)),
        READY_TIMEOUT_MS,
      );
      const onOutput = (chunk: Buffer): void => {
        // After readiness the output is only drained: a full pipe would block the server.
        if (ready) return;
        output += chunk.toString();
        if (!output.includes(readyLine)) return;
        ready = true;
        clearTimeout(timer);
        // Unreferenced: a server a test forgot to stop must not keep the worker alive; the
        // watchdog kills it when the worker exits.
        child.unref();
        (child.stdout as Socket).unref();
        (child.stderr as Socket).unref();
        const kill = (signal: NodeJS.Signals): void => {
          // Referenced again, so the process stays alive until the exit is seen and cleaned up.
          child.ref();
          (child.stdout as Socket).ref();
          (child.stderr as Socket).ref();
          child.kill(signal);
        };
        resolve(new ServerProcess(port, exited, kill));
      };
      child.stdout.on('data', onOutput);
      child.stderr.on('data', onOutput);
      child.on('error', (error) => fail(error));
      child.on('exit', (code, signal) => {
        if (ready) return;
        const why = `${executable} exited (${signal ?? code}) before it was ready:\n${output}`;
        fail(
          output.includes('Address already in use') ? new AddressInUseError(why) : new Error(why),
        );
      });
      if (child.pid !== undefined) guardProcess(child.pid);
    });
  }

  /**
   * Ends the process (SIGTERM: clean shutdown, SIGKILL: abrupt death) and waits until it is
   * gone and its dir removed; a SIGTERM that is ignored for 5 s becomes a SIGKILL.
   */
  async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    this.#kill(signal);
    if (signal === 'SIGTERM') {
      const timer = setTimeout(() => this.#kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited.finally(() => clearTimeout(timer));
    }
    await this.exited;
  }
}

/** Spawns a server on a fresh free port, or on exactly `port` (a restart); see `onFreePort`. */
export function spawnServer(
  executable: string,
  port?: number,
  extraArgs: (port: number) => Promise<readonly string[]> | readonly string[] = () => [],
  mode: SpawnMode = {},
): Promise<ServerProcess> {
  return onFreePort(
    port,
    async (target) => ServerProcess.spawn(executable, target, await extraArgs(target), mode),
    (error) => error instanceof AddressInUseError,
  );
}
