import { isAbsolute } from 'node:path';
import { type Store, StoreError } from '@stores/core';
import { describeError } from './assertions.js';
import { cases } from './cases/index.js';
import type {
  CaseContext,
  CaseResult,
  ConformanceCase,
  ConformanceOptions,
  PassName,
  SharedStoreOptions,
  StoreFactory,
} from './types.js';

/** The three passes of the suite, in order: each re-runs the whole case table. */
export const PASSES: readonly PassName[] = Object.freeze(['root', 'namespace', 'nested namespace']);

// Names of the namespaces the second and third passes run in.
const PASS_NAMESPACES: Record<PassName, readonly string[]> = {
  root: [],
  namespace: ['conformance'],
  'nested namespace': ['conformance', 'nested'],
};

/** The options with their defaults filled in. */
export interface ResolvedOptions {
  /** See `ConformanceOptions.ttlScale`. */
  readonly ttlScale: number;
  /** See `ConformanceOptions.timeoutMs`. */
  readonly timeoutMs: number;
  /** See `ConformanceOptions.concurrency`. */
  readonly concurrency: number;
  /** See `ConformanceOptions.shared`. */
  readonly shared: SharedStoreOptions | undefined;
  /** See `ConformanceOptions.seed`. */
  readonly seed: number | undefined;
}

/** Validates the options and fills in the defaults; throws a `TypeError` naming a bad one. */
export function resolveOptions(options: ConformanceOptions = {}): ResolvedOptions {
  const { ttlScale = 1, timeoutMs = 15_000, concurrency = 4, shared, seed } = options;
  if (!(Number.isFinite(ttlScale) && ttlScale > 0)) {
    throw new TypeError(`ttlScale must be a finite number > 0, got ${String(ttlScale)}`);
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError(`timeoutMs must be a finite number > 0, got ${String(timeoutMs)}`);
  }
  if (!(Number.isSafeInteger(concurrency) && concurrency > 0)) {
    throw new TypeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  if (shared !== undefined) checkShared(shared);
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new TypeError(`seed must be an integer, got ${String(seed)}`);
  }
  return { ttlScale, timeoutMs, concurrency, shared, seed };
}

function checkShared(shared: SharedStoreOptions): void {
  const { module, exportName, newHandle } = shared;
  if (typeof module !== 'string' || !(module.startsWith('file:') || isAbsolute(module))) {
    throw new TypeError(
      `shared.module must be an absolute path or a file: URL, got ${String(module)}`,
    );
  }
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw new TypeError(`shared.exportName must be a string, got ${String(exportName)}`);
  }
  if (typeof newHandle !== 'function') {
    throw new TypeError('shared.newHandle must be a function returning a JSON-serialisable handle');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function context(
  store: Store,
  pass: PassName,
  options: ResolvedOptions,
  signal: AbortSignal,
): CaseContext {
  const { ttlScale, shared, seed } = options;
  return {
    store,
    namespacePath: PASS_NAMESPACES[pass],
    shared,
    signal,
    seed,
    ttl: (seconds) => seconds * ttlScale,
    // The margin covers timer jitter and a backend clock read a little before the set returned.
    waitPast: (seconds) => sleep(seconds * 1000 + 50 * ttlScale),
  };
}

type Outcome = Pick<CaseResult, 'status' | 'error'>;

async function runInStore(
  testCase: ConformanceCase,
  factory: StoreFactory,
  pass: PassName,
  options: ResolvedOptions,
  signal: AbortSignal,
): Promise<Outcome> {
  const root = await factory();
  let outcome: Outcome = { status: 'passed' };
  try {
    let store = root;
    for (const name of PASS_NAMESPACES[pass]) store = store.withNamespace(name);
    if (testCase.requires !== undefined && !store.capabilities[testCase.requires]) {
      return { status: 'skipped', error: `capabilities.${testCase.requires} is false` };
    }
    try {
      await testCase.run(context(store, pass, options, signal));
    } catch (error) {
      outcome = { status: 'failed', error };
    }
    // Leave no data behind on shared servers; a case may have closed the store on purpose.
    try {
      await root.deleteAll();
    } catch (error) {
      if (outcome.status === 'passed' && !StoreError.is(error, 'STORE_CLOSED')) {
        outcome = {
          status: 'failed',
          error: new Error('cleanup deleteAll() failed', { cause: error }),
        };
      }
    }
    return outcome;
  } finally {
    await root.close();
  }
}

/**
 * Runs one case in one pass on a fresh store from `factory`, closing it afterwards. Never
 * rejects: a failure, a thrown factory or a timeout is reported as `failed`.
 */
export async function runCase(
  testCase: ConformanceCase,
  factory: StoreFactory,
  pass: PassName,
  options: ConformanceOptions = {},
): Promise<CaseResult> {
  return runResolved(testCase, factory, pass, resolveOptions(options));
}

async function runResolved(
  testCase: ConformanceCase,
  factory: StoreFactory,
  pass: PassName,
  options: ResolvedOptions,
): Promise<CaseResult> {
  const started = performance.now();
  const aborter = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((done) => {
    timer = setTimeout(() => {
      const error = new Error(
        `timed out after ${options.timeoutMs} ms (raise timeoutMs or ttlScale)`,
      );
      aborter.abort(error);
      done({ status: 'failed', error });
    }, options.timeoutMs);
  });
  const outcome = await Promise.race([
    runInStore(testCase, factory, pass, options, aborter.signal).catch(
      (error: unknown): Outcome => ({ status: 'failed', error }),
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return {
    pass,
    id: testCase.id,
    title: testCase.title,
    ...outcome,
    durationMs: performance.now() - started,
  };
}

/** Options of `runCases`: timing, plus a callback and a subset of cases or passes. */
export interface RunCasesOptions extends ConformanceOptions {
  /** Called with each result, in table order (root pass first). */
  onResult?: (result: CaseResult) => void;
  /** The cases to run. Default: the whole table, `cases`. */
  cases?: readonly ConformanceCase[];
  /** The passes to run. Default: all three, `PASSES`. */
  passes?: readonly PassName[];
}

/**
 * Runs the case table in every pass without vitest (the CLI and the suite's self-tests use
 * it) and resolves to one result per case and pass, in table order. Never rejects for a
 * failing store.
 */
export async function runCases(
  factory: StoreFactory,
  options: RunCasesOptions = {},
): Promise<CaseResult[]> {
  const resolved = resolveOptions(options);
  const table = options.cases ?? cases;
  const jobs = (options.passes ?? PASSES).flatMap((pass) => table.map((c) => ({ pass, c })));
  const results: (CaseResult | undefined)[] = new Array(jobs.length).fill(undefined);
  let next = 0;
  let reported = 0;
  const report = (): void => {
    for (let r = results[reported]; r !== undefined; r = results[reported]) {
      options.onResult?.(r);
      reported++;
    }
  };
  const worker = async (): Promise<void> => {
    for (let i = next++; i < jobs.length; i = next++) {
      const job = jobs[i];
      if (job === undefined) break;
      results[i] = await runResolved(job.c, factory, job.pass, resolved);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(resolved.concurrency, jobs.length) }, worker));
  return results.filter((r): r is CaseResult => r !== undefined);
}

/** One line per result: `✓`, `✗` or `-`, the pass and id, and for failures the error. */
export function formatResult(result: CaseResult): string {
  const where = `${result.pass.padEnd(16)} ${result.id}`;
  if (result.status === 'passed') return `✓ ${where}`;
  if (result.status === 'skipped') return `- ${where} (skipped: ${String(result.error)})`;
  return `✗ ${where}: ${describeError(result.error)}`;
}

/** The closing line: `N passed, M failed`, plus `, K skipped` when any were skipped. */
export function formatSummary(results: readonly CaseResult[]): string {
  const count = (status: CaseResult['status']): number =>
    results.filter((r) => r.status === status).length;
  const skipped = count('skipped');
  return `${count('passed')} passed, ${count('failed')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}
