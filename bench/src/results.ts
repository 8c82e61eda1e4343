import { type Machine, machine } from './env.js';
import { type Timing, VerificationError } from './harness.js';

/** One measured (or not measurable) row of a suite's table. */
export interface Row {
  /** The table it belongs to: `memory`, `file`, `redis`, `valkey`, `deleteAll`, ... */
  suite: string;
  /** Who was measured: one of our stores or a peer. */
  subject: string;
  /** True for an @stores backend, false for a peer. */
  ours: boolean;
  /** Versions of every package (and server) involved. */
  versions: Record<string, string>;
  /** What was done: `set`, `get`, `get+renew`, `exists`, `delete`, `deleteAll`, ... */
  workload: string;
  /** Size of each value, bytes. */
  valueBytes: number;
  /** Operations in flight at once. */
  inFlight: number;
  /** `n/a`: the subject has no equivalent; `failed`: a check or the backend failed. */
  status: 'ok' | 'n/a' | 'failed' | 'skipped';
  /** Throughput and latency, for timed loops. */
  timing?: Timing;
  /** Other numbers of the row (ms, bytes per entry, counts), by name. */
  metrics?: Record<string, number>;
  /** Why a row failed or is n/a, or what a number means. */
  note?: string;
  /** Where it ran. */
  machine: Machine;
}

/** Collects rows, prints each as it completes (stderr) and counts failures. */
export class Recorder {
  /** Every row, in the order recorded. */
  readonly rows: Row[] = [];
  /** Suites that could not run, with the reason (printed in the report). */
  readonly skippedSuites: { suite: string; reason: string }[] = [];
  readonly #machine: Machine = machine();
  readonly #progress: (line: string) => void;

  /** `progress` receives one line per row; default: stderr. */
  constructor(progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    this.#progress = progress;
  }

  /** The machine every row is stamped with. */
  get machine(): Machine {
    return this.#machine;
  }

  /** Rows that failed verification or whose backend failed. */
  get failures(): Row[] {
    return this.rows.filter((r) => r.status === 'failed');
  }

  /** Records a row and prints one progress line for it; a failure is printed loudly. */
  add(row: Omit<Row, 'machine'>): Row {
    const full: Row = { ...row, machine: this.#machine };
    this.rows.push(full);
    this.#progress(progressLine(full));
    return full;
  }

  /** Records that a whole suite could not run, and says so. */
  skipSuite(suite: string, reason: string): void {
    this.skippedSuites.push({ suite, reason });
    this.#progress(`[${suite}] SKIPPED: ${reason}`);
  }
}

/** A failed row's note: whether a check failed or the backend did, and what it said. */
export function failureNote(error: unknown): string {
  const kind = error instanceof VerificationError ? 'verification' : 'backend error';
  return `${kind}: ${describeError(error)}`;
}

/** Formats an error (a failed check, a backend rejection) for a row's note. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}

/** `100 B`, `10 KB` */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`;
}

/** A number with thousands separators and at most `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A latency in ms with a precision that suits its size. */
export function formatMs(ms: number): string {
  if (ms < 0.1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  return ms.toFixed(0);
}

/** A whole SVG document of `width` × `height` on white, holding `parts`. */
export function svgDocument(width: number, height: number, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** `text` safe inside an SVG or XML text node. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function progressLine(row: Row): string {
  const where = `[${row.suite}] ${row.subject} ${row.workload} ${formatBytes(row.valueBytes)} x${row.inFlight}`;
  if (row.status === 'failed') return `!!!!! FAILED ${where}: ${row.note ?? ''}`;
  if (row.status !== 'ok') return `${where}: ${row.status}${row.note ? ` (${row.note})` : ''}`;
  const parts: string[] = [];
  if (row.timing !== undefined) {
    const t = row.timing;
    parts.push(
      `${formatNumber(t.opsPerSec)} ops/s`,
      `p50 ${formatMs(t.p50Ms)} ms`,
      `p99 ${formatMs(t.p99Ms)} ms`,
    );
  }
  for (const [name, value] of Object.entries(row.metrics ?? {})) {
    parts.push(`${name} ${formatNumber(value, 2)}`);
  }
  return `${where}: ${parts.join(', ')}`;
}
