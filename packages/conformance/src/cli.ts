import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { describeError } from './assertions.js';
import { cases } from './cases/index.js';
import { formatSummary, PASSES, runCases } from './runner.js';
import type {
  CaseResult,
  ConformanceCase,
  ConformanceOptions,
  PassName,
  StoreFactory,
} from './types.js';

const USAGE = `Usage: stores-conformance <module> [options]

Runs the @stores conformance suite (root, namespace and nested namespace passes) against the
store factory exported by <module>, a .js or .mjs file resolved from the current directory.
A .ts module needs a loader such as tsx:
  node --import tsx node_modules/@stores/conformance/bin/stores-conformance.js store.ts

Options:
  --export <name>       the export to use as the factory (default: createStore)
  --case <id>           run only this case (repeatable; --list shows the ids)
  --grep <pattern>      run only the cases whose id or title matches (a regular expression)
  --pass <name>         run only this pass: root, namespace or nested (repeatable)
  --seed <n>            the seed of the model-based cases, to replay a failure exactly
  --ttl-scale <n>       multiply every TTL and wait, for slow backends (default: 1)
  --timeout-ms <n>      time limit of one case in ms (default: 15000)
  --concurrency <n>     cases run at once (default: 4)
  --list                print the case ids and titles, and run nothing
  -h, --help            show this help

A store with capabilities.shared must also prove itself across processes: then <module> exports
newHandle() (the plain-data handle of a new, empty store) and openStore(handle), which a child
process calls to open the same store.

Prints one line per case (✓ passed, ✗ failed, - skipped), a recap of the failures with the
command that replays them, and "N passed, M failed[, K skipped]" last.
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

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        export: { type: 'string' },
        case: { type: 'string', multiple: true },
        grep: { type: 'string' },
        pass: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'ttl-scale': { type: 'string' },
        'timeout-ms': { type: 'string' },
        concurrency: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

type Values = ReturnType<typeof parse>['values'];

/** The cases `--case` names plus those `--grep` matches; the whole table without either. */
function selectCases(values: Values): readonly ConformanceCase[] {
  const ids = values.case ?? [];
  if (ids.length === 0 && values.grep === undefined) return cases;
  for (const id of ids) {
    if (!cases.some((c) => c.id === id)) {
      const near = cases.filter((c) => c.id.split('.')[0] === id.split('.')[0]).map((c) => c.id);
      const hint = near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : '';
      throw new UsageError(`no case "${id}"${hint}; --list shows every id`);
    }
  }
  let pattern: RegExp | undefined;
  if (values.grep !== undefined) {
    try {
      pattern = new RegExp(values.grep, 'i');
    } catch (error) {
      throw new UsageError(`--grep: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const chosen = cases.filter(
    (c) => ids.includes(c.id) || pattern?.test(`${c.id} ${c.title}`) === true,
  );
  if (chosen.length === 0) throw new UsageError(`--grep "${values.grep}" matches no case`);
  return chosen;
}

function selectPasses(names: readonly string[] | undefined): readonly PassName[] {
  if (names === undefined) return PASSES;
  return names.map((name) => {
    const pass = PASSES.find((p) => p === name || p.startsWith(name));
    if (pass === undefined) {
      throw new UsageError(`--pass must be root, namespace or nested, got "${name}"`);
    }
    return pass;
  });
}

function seedOption(value: string | undefined): number {
  // A seed of our own when none is given, so that every failure can be replayed.
  if (value === undefined) return (Math.random() * 2 ** 32) | 0;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed must be an integer, got "${value}"`);
  }
  return seed;
}

/** The module under test: its resolved path and its exports. */
interface Loaded {
  readonly file: string;
  readonly exports: Record<string, unknown>;
}

async function loadModule(modulePath: string): Promise<Loaded> {
  const file = resolve(process.cwd(), modulePath);
  if (!existsSync(file)) throw new UsageError(`cannot find module ${file}`);
  try {
    return { file, exports: (await import(pathToFileURL(file).href)) as Record<string, unknown> };
  } catch (error) {
    const hint = /\.[cm]?tsx?$/.test(file)
      ? ' (a TypeScript module needs a loader: node --import tsx)'
      : '';
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot load ${file}${hint}: ${reason}`);
  }
}

/** The module's function export `name`; `fix` says what to do when there is none. */
function exported(loaded: Loaded, name: string, fix: string): unknown {
  const value = loaded.exports[name];
  if (typeof value !== 'function') {
    const found = Object.keys(loaded.exports).join(', ') || 'none';
    throw new UsageError(
      `${loaded.file} has no function export "${name}" (exports: ${found}); ${fix}`,
    );
  }
  return value;
}

// Characters that would break a line or hide in a terminal: controls, bidi overrides,
// zero-width characters, lone surrogates. Keys are any string, so messages can hold them.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return (
    NAMED[char] ??
    (code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`)
  );
}

/**
 * `text` safe to print on one line, with byte arrays that hold printable ASCII (counters,
 * words) also shown as text: `Uint8Array(2)[52,50]` reads `Uint8Array(2)[52,50] "42"`.
 */
function readable(text: string): string {
  return text
    .replace(INVISIBLE, escapeChar)
    .replace(/Uint8Array\((\d+)\)\[([\d,]+?)(,…)?\]/g, (whole, _length, list: string, more) => {
      const bytes = list.split(',').map(Number);
      if (!bytes.every((b) => b >= 0x20 && b <= 0x7e)) return whole;
      return `${whole} ${JSON.stringify(String.fromCharCode(...bytes))}${more === undefined ? '' : '…'}`;
    });
}

/** A failure's message, then each `cause` it does not already quote (a wrapped backend error). */
function failureText(error: unknown): string[] {
  const lines = [readable(describeError(error))];
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 3; depth++) {
    const message = readable(cause instanceof Error ? cause.message : String(cause));
    if (!lines.some((line) => line.includes(message))) {
      lines.push(`caused by ${readable(describeError(cause))}`);
    }
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines;
}

/** One line per result: `✓`, `✗` or `-`, the pass and id, and why it failed or was skipped. */
function resultLine(result: CaseResult): string {
  const where = `${result.pass.padEnd(16)} ${result.id}`;
  if (result.status === 'passed') return `✓ ${where}`;
  if (result.status === 'skipped') return `- ${where} (skipped: ${readable(String(result.error))})`;
  return `✗ ${where}: ${readable(describeError(result.error))}`;
}

/** An argument as a shell would need it. */
const quote = (arg: string): string =>
  /^[\w./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/** The recap after the per-case lines: each failure in full, and the command replaying them. */
function recap(results: readonly CaseResult[], argv: readonly string[], seed: number): string[] {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return [];
  const lines = ['', `${failed.length} failed:`];
  for (const r of failed) {
    lines.push(`✗ ${r.pass} ${r.id}: ${r.title}`);
    for (const line of failureText(r.error)) lines.push(`    ${line}`);
  }
  // The same command, minus any selection, plus the failed cases and the seed they ran with.
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = arg.split('=')[0] ?? '';
    if (['--case', '--grep', '--seed'].includes(flag)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    kept.push(arg);
  }
  const ids = [...new Set(failed.map((r) => r.id))].flatMap((id) => ['--case', id]);
  lines.push(
    '',
    `replay: stores-conformance ${[...kept, '--seed', String(seed), ...ids].map(quote).join(' ')}`,
  );
  return lines;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.list === true) {
    const width = Math.max(...cases.map((c) => c.id.length));
    for (const c of cases) process.stdout.write(`${c.id.padEnd(width)}  ${c.title}\n`);
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
  const selected = selectCases(values);
  const passes = selectPasses(values.pass);
  const seed = seedOption(values.seed);
  // fast-check reads its global settings in every run: the model-based cases use this seed.
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

  const loaded = await loadModule(modulePath);
  const factory = exported(
    loaded,
    values.export ?? 'createStore',
    'pass --export NAME',
  ) as StoreFactory;
  if (typeof loaded.exports.newHandle === 'function') {
    exported(loaded, 'openStore', 'a module with newHandle() needs openStore(handle) as well');
    options.shared = {
      module: pathToFileURL(loaded.file).href,
      exportName: 'openStore',
      newHandle: loaded.exports.newHandle as () => unknown,
    };
  }
  let results: CaseResult[];
  try {
    results = await runCases(factory, {
      ...options,
      cases: selected,
      passes,
      onResult: (result) => process.stdout.write(`${resultLine(result)}\n`),
    });
  } catch (error) {
    // Only invalid options reach here: a failing store is reported per case.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  for (const line of recap(results, argv, seed)) process.stdout.write(`${line}\n`);
  process.stdout.write(`${formatSummary(results)}\n`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
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
