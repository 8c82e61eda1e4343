// The child process of the `shared.*` cases, run by plain `node` from the package's dist:
// `node shared-worker.js <job as JSON>`. It opens the store the job's handle names, descends into
// the pass's namespace, prints `ready`, waits for a line on stdin, runs its share of the calls all
// at once, prints `{"results":[...]}` (or `{"error":"..."}`) and exits.
import type { Store } from '@stores/core';
import type { WorkerJob } from './processes.js';

const job = JSON.parse(process.argv[2] ?? 'null') as WorkerJob;

async function main(): Promise<unknown[]> {
  const loaded = (await import(job.module)) as Record<string, unknown>;
  const open = loaded[job.exportName];
  if (typeof open !== 'function') {
    throw new Error(`${job.module} has no function export "${job.exportName}"`);
  }
  const root = (await open(job.handle)) as Store;
  try {
    const store = job.namespacePath.reduce((s, name) => s.withNamespace(name), root);
    process.stdout.write('ready\n');
    const go = await new Promise<boolean>((resolve) => {
      process.stdin.once('data', () => resolve(true));
      process.stdin.once('end', () => resolve(false));
    });
    if (!go) throw new Error('stdin closed before the start signal');
    return await Promise.all(
      Array.from({ length: job.count }, (_, i) =>
        job.op === 'increment'
          ? store.increment(job.key)
          : store.setIfAbsent(job.key, `process ${job.worker} call ${i}`),
      ),
    );
  } finally {
    await root.close();
  }
}

const exit = (line: object, code: number): void => {
  // Exits once the line is out: a store's client may leave handles that keep Node alive.
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(code));
};

main().then(
  (results) => exit({ results }, 0),
  (error: unknown) => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    exit({ error: typeof code === 'string' ? `${code} ${text}` : text }, 1);
  },
);
