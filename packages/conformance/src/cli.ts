import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatResult, formatSummary, runCases } from './runner.js';
import type { ConformanceOptions, StoreFactory } from './types.js';

const USAGE = `Usage: stores-conformance <module> [options]

Runs the @stores conformance suite (root, namespace and nested namespace passes) against the
store factory exported by <module>, a .js or .mjs file resolved from the current directory.
A .ts module needs a loader such as tsx:
  node --import tsx node_modules/@stores/conformance/bin/stores-conformance.js store.ts

Options:
  --export <name>       the export to use as the factory (default: createStore)
  --ttl-scale <n>       multiply every TTL and wait, for slow backends (default: 1)
  --timeout-ms <n>      time limit of one case in ms (default: 15000)
  --concurrency <n>     cases run at once (default: 4)
  -h, --help            show this help

Prints one line per case (✓ passed, ✗ failed, - skipped) and "N passed, M failed".
Exit status: 0 if nothing failed, 1 if a case failed, 2 for a usage or loading error.`;

/** A usage or loading problem: printed without a stack, exit status 2. */
class UsageError extends Error {}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new UsageError(`--${name} must be a number, got "${value}"`);
  }
  return parsed;
}

async function loadFactory(modulePath: string, exportName: string): Promise<StoreFactory> {
  const file = resolve(process.cwd(), modulePath);
  if (!existsSync(file)) throw new UsageError(`cannot find module ${file}`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = /\.[cm]?tsx?$/.test(file)
      ? ' (a TypeScript module needs a loader: node --import tsx)'
      : '';
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot load ${file}${hint}: ${reason}`);
  }
  const factory = loaded[exportName];
  if (typeof factory !== 'function') {
    const found = Object.keys(loaded).join(', ') || 'none';
    throw new UsageError(
      `${file} has no function export "${exportName}" (exports: ${found}); pass --export NAME`,
    );
  }
  return factory as StoreFactory;
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [modulePath, ...extra] = positionals;
  if (modulePath === undefined || extra.length > 0) {
    throw new UsageError(`expected exactly one module path\n\n${USAGE}`);
  }
  const options: ConformanceOptions = {};
  const ttlScale = numberOption(values['ttl-scale'], 'ttl-scale');
  const timeoutMs = numberOption(values['timeout-ms'], 'timeout-ms');
  const concurrency = numberOption(values.concurrency, 'concurrency');
  if (ttlScale !== undefined) options.ttlScale = ttlScale;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  if (concurrency !== undefined) options.concurrency = concurrency;
  const factory = await loadFactory(modulePath, values.export ?? 'createStore');
  let results: Awaited<ReturnType<typeof runCases>>;
  try {
    results = await runCases(factory, {
      ...options,
      onResult: (result) => process.stdout.write(`${formatResult(result)}\n`),
    });
  } catch (error) {
    // Only invalid options reach here: a failing store is reported per case.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  process.stdout.write(`${formatSummary(results)}\n`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      export: { type: 'string' },
      'ttl-scale': { type: 'string' },
      'timeout-ms': { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

// A closed pipe (`stores-conformance store.js | head`) ends the run quietly, and not as a pass.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(1);
});

const code = await main(process.argv.slice(2)).catch((error: unknown) => {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`stores-conformance: ${error.message}\n`);
  return 2;
});
// Exit explicitly once output is flushed: a store under test may leave handles open.
process.stdout.write('', () => process.exit(code));
