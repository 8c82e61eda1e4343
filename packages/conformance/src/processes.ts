import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConformanceError } from './assertions.js';

/** What one child process of the `shared.*` cases does (its argv, as JSON). */
export interface WorkerJob {
  /** `file:` URL of the module that opens the store. */
  readonly module: string;
  /** Its export: `(handle) => Store | Promise<Store>`. */
  readonly exportName: string;
  /** The handle the parent opened too. */
  readonly handle: unknown;
  /** Namespaces from the opened store down to the pass's store. */
  readonly namespacePath: readonly string[];
  /** `increment(key)` or `setIfAbsent(key, value unique to the call)`, `count` times at once. */
  readonly op: 'increment' | 'setIfAbsent';
  readonly key: string;
  readonly count: number;
  /** The process's index, part of the values it writes. */
  readonly worker: number;
}

/** `shared.module` as a `file:` URL. */
export function moduleUrl(module: string): string {
  return module.startsWith('file:') ? module : pathToFileURL(module).href;
}

/**
 * The `node` arguments that run the worker. From the package's dist it is plain JavaScript; the
 * suite's own tests run the TypeScript source, which needs the tsx loader (a devDependency).
 */
function workerArgs(): string[] {
  const here = import.meta.url;
  // esbuild keeps `new URL('./x', import.meta.url)` as written, so dist finds its sibling file.
  if (!here.endsWith('.ts')) return [fileURLToPath(new URL('./shared-worker.js', here))];
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return ['--import', tsx, fileURLToPath(new URL('./shared-worker.ts', here))];
}

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** True once it printed `ready`; false if it exited first. Never rejects. */
  readonly ready: Promise<boolean>;
  /** Its exit code (null if killed). Never rejects. */
  readonly exited: Promise<number | null>;
  output(): string;
}

function start(job: WorkerJob): Worker {
  const child = spawn(process.execPath, [...workerArgs(), JSON.stringify(job)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // A child that died cannot take the start signal; its exit code tells why.
  child.stdin.on('error', () => {});
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      stderr += String(error);
      resolve(null);
    });
    child.once('close', resolve);
  });
  const ready = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.startsWith('ready\n')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  return { child, ready, exited, output: () => `${stdout}${stderr}` };
}

/** Resolves `promise`, or rejects with the signal's reason once it is aborted. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The `results` a worker printed as its last line, or a failure naming what it printed. */
function resultsOf(worker: Worker, code: number | null, index: number): unknown[] {
  const output = worker.output();
  const last = output.trimEnd().split('\n').at(-1) ?? '';
  let parsed: { results?: unknown; error?: unknown } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    // Not a result line: the whole output goes into the failure below.
  }
  if (code === 0 && Array.isArray(parsed.results)) return parsed.results;
  const reason = typeof parsed.error === 'string' ? parsed.error : `output: ${output.slice(-2000)}`;
  throw new ConformanceError(`child process ${index} exited with code ${code}: ${reason}`);
}

/**
 * Starts one child process per job, waits until every one has opened its store, starts them all
 * at once and resolves each one's results, in job order. Kills them all on failure or abort.
 */
export async function runWorkers(
  jobs: readonly WorkerJob[],
  signal: AbortSignal,
): Promise<unknown[][]> {
  const workers = jobs.map(start);
  try {
    const ready = await abortable(Promise.all(workers.map((w) => w.ready)), signal);
    for (const [i, worker] of workers.entries()) {
      if (ready[i] !== true) {
        resultsOf(worker, await worker.exited, i);
        throw new ConformanceError(`child process ${i} exited before it opened the store`);
      }
    }
    for (const worker of workers) worker.child.stdin.end('go\n');
    const codes = await abortable(Promise.all(workers.map((w) => w.exited)), signal);
    return workers.map((worker, i) => resultsOf(worker, codes[i] ?? null, i));
  } finally {
    for (const { child } of workers) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
