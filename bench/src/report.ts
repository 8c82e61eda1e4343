import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Machine } from './env.js';
import {
  escapeXml,
  formatBytes,
  formatMs,
  formatNumber,
  type Row,
  svgDocument,
} from './results.js';
import { scaleChart } from './scale-chart.js';
import type { TargetResult } from './targets.js';

/** Everything a report is made of. */
export interface Report {
  /** ISO date and time the run started. */
  date: string;
  mode: 'full' | 'quick';
  machine: Machine;
  /** 1-minute load average when the run started and when it ended: how busy the machine was. */
  load: { start: number; end: number };
  /** Free text printed under the header (e.g. that the machine was shared). */
  note: string | undefined;
  rows: readonly Row[];
  skippedSuites: readonly { suite: string; reason: string }[];
  targets: readonly TargetResult[];
}

const SUITES = [
  'footprint',
  'memory',
  'file',
  'redis',
  'valkey',
  'deleteAll',
  'atomic: memory',
  'atomic: file',
  'atomic: redis',
  'atomic: valkey',
  'scale',
] as const;

/** Writes `results.md`, `results.json`, `chart.svg` and `scale.svg` to `dir`; returns their paths. */
export async function writeReport(dir: string, report: Report): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['results.md', markdown(report)],
    ['results.json', `${JSON.stringify(report, null, 2)}\n`],
    ['chart.svg', chart(report.rows)],
    ['scale.svg', scaleChart(report.rows)],
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

/** The whole report as markdown: header, one table per suite, the targets. */
export function markdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `# @stores benchmark results (${report.mode} run)`,
    '',
    `- Date: ${report.date}`,
    `- Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`,
    `- Load average (1 min): ${report.load.start.toFixed(2)} at the start, ${report.load.end.toFixed(2)} at the end`,
    `- Versions: ${versionList(report.rows)}`,
  ];
  if (report.note !== undefined) lines.push('', `> ${report.note}`);
  for (const { suite, reason } of report.skippedSuites)
    lines.push('', `**${suite}: not run** (${reason})`);
  for (const suite of SUITES) {
    const rows = report.rows.filter((r) => r.suite === suite);
    if (rows.length === 0) continue;
    lines.push('', `## ${suite}`, '');
    if (suite === 'scale') {
      lines.push(...scaleTable(rows));
      continue;
    }
    const timed = rows.filter((r) => r.timing !== undefined || r.metrics === undefined);
    if (timed.length > 0) lines.push(...timingTable(timed, rows));
    const measured = rows.filter((r) => r.metrics !== undefined);
    if (measured.length > 0) {
      if (timed.length > 0) lines.push('');
      lines.push(...metricsTable(measured));
    }
  }
  lines.push('', '## Targets', '', ...targetsTable(report.targets));
  const failures = report.rows.filter((r) => r.status === 'failed');
  lines.push(
    '',
    `Rows: ${report.rows.length}; verification or backend failures: ${failures.length}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The targets as a markdown table (also printed at the end of a run). */
export function targetsTable(targets: readonly TargetResult[]): string[] {
  const mark = (t: TargetResult): string => {
    if (t.reached === null) return t.measured.startsWith('n/a') ? 'n/a' : 'not measured';
    return t.reached ? 'reached' : '**missed**';
  };
  return [
    '| target | measured | result |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${mark(t)} |`),
  ];
}

function timingTable(rows: readonly Row[], all: readonly Row[]): string[] {
  const out = [
    '| subject | workload | value | in flight | ops/s | p50 ms | p99 ms | vs best peer |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const head = `| ${r.ours ? `**${r.subject}**` : r.subject} | ${r.workload} | ${formatBytes(r.valueBytes)} | ${r.inFlight}`;
    if (r.timing === undefined) {
      out.push(`${head} | ${r.status} | | | ${r.note ?? ''} |`);
      continue;
    }
    const t = r.timing;
    out.push(
      `${head} | ${formatNumber(t.opsPerSec)} | ${formatMs(t.p50Ms)} | ${formatMs(t.p99Ms)} | ${vsBestPeer(r, all)} |`,
    );
  }
  return out;
}

/** For our rows: our ops/s over the best peer's in the same workload, size and concurrency. */
function vsBestPeer(row: Row, all: readonly Row[]): string {
  if (!row.ours || row.timing === undefined) return '';
  const peers = all.filter(
    (p) =>
      !p.ours &&
      p.timing !== undefined &&
      p.workload === row.workload &&
      p.valueBytes === row.valueBytes &&
      p.inFlight === row.inFlight,
  );
  const best = peers.sort((a, b) => (b.timing?.opsPerSec ?? 0) - (a.timing?.opsPerSec ?? 0))[0];
  if (best?.timing === undefined) return 'no peer';
  return `${(row.timing.opsPerSec / best.timing.opsPerSec).toFixed(2)}× (${best.subject})`;
}

function metricsTable(rows: readonly Row[]): string[] {
  const out = ['| subject | workload | value | numbers | vs best peer |', '|---|---|---:|---|---|'];
  for (const r of rows) {
    const numbers =
      r.status === 'ok'
        ? Object.entries(r.metrics ?? {})
            .map(([name, value]) => `${name} ${formatNumber(value, 2)}`)
            .join(', ')
        : `${r.status.toUpperCase()}: ${r.note ?? ''}`;
    out.push(
      `| ${r.ours ? `**${r.subject}**` : r.subject} | ${r.workload} | ${formatBytes(r.valueBytes)} | ${numbers} | ${metricVsPeer(r, rows)} |`,
    );
  }
  return out;
}

/** Lower is better for every metric row: time of a call, bytes per entry. */
function metricVsPeer(row: Row, rows: readonly Row[]): string {
  const key = row.metrics?.durationMs !== undefined ? 'durationMs' : 'bytesPerEntry';
  const mine = row.metrics?.[key];
  if (!row.ours || mine === undefined) return '';
  const peers = rows
    .filter((p) => !p.ours && p.workload === row.workload && p.metrics?.[key] !== undefined)
    .sort((a, b) => (a.metrics?.[key] ?? 0) - (b.metrics?.[key] ?? 0));
  const best = peers[0];
  const theirs = best?.metrics?.[key];
  if (best === undefined || theirs === undefined) return 'no peer';
  const verb = key === 'durationMs' ? 'faster' : 'smaller';
  return `${(theirs / mine).toFixed(2)}× ${verb} (${best.subject})`;
}

/**
 * The scale rows: the result of each (ops/s, keys/s or ms) and how the cost of one operation or
 * entry compares with the same measure at the smallest size (1.00×: it does not grow).
 */
function scaleTable(rows: readonly Row[]): string[] {
  const out = [
    '| subject | workload | value | in flight | result | p50 ms | p99 ms | cost vs smallest |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  // Per operation (timed loops), per key (keys) or per entry swept: higher is cheaper.
  const rate = (r: Row): number | undefined => {
    if (r.status !== 'ok') return undefined;
    if (r.timing !== undefined) return r.timing.opsPerSec;
    const { entries, durationMs } = r.metrics ?? {};
    return entries !== undefined && durationMs !== undefined ? entries / durationMs : undefined;
  };
  const measure = (r: Row): string =>
    `${r.subject} ${r.workload.replace(/ at [\d,]+ entries$/, '')}`;
  for (const r of rows) {
    const head = `| ${r.ours ? `**${r.subject}**` : r.subject} | ${r.workload} | ${formatBytes(r.valueBytes)} | ${r.inFlight}`;
    if (r.status !== 'ok') {
      out.push(`${head} | ${r.status.toUpperCase()}: ${r.note ?? ''} | | | |`);
      continue;
    }
    const t = r.timing;
    const m = r.metrics ?? {};
    let result = '';
    if (t !== undefined) result = `${formatNumber(t.opsPerSec)} ops/s`;
    else if (m.keysPerSec !== undefined) result = `${formatNumber(m.keysPerSec)} keys/s`;
    if (m.durationMs !== undefined) {
      const ms = `${formatNumber(m.durationMs, 1)} ms`;
      result = result === '' ? ms : `${result} (${ms})`;
    }
    const smallest = rows
      .filter((o) => measure(o) === measure(r) && rate(o) !== undefined)
      .sort((a, b) => (a.metrics?.entries ?? 0) - (b.metrics?.entries ?? 0))[0];
    const mine = rate(r);
    const base = smallest === undefined ? undefined : rate(smallest);
    const growth = mine !== undefined && base !== undefined ? `${(base / mine).toFixed(2)}×` : '';
    const latency = t === undefined ? '| | |' : `| ${formatMs(t.p50Ms)} | ${formatMs(t.p99Ms)} |`;
    out.push(`${head} | ${result} ${latency} ${growth} |`);
  }
  return out;
}

function versionList(rows: readonly Row[]): string {
  const all = new Map<string, string>();
  for (const r of rows) for (const [pkg, v] of Object.entries(r.versions)) all.set(pkg, v);
  return [...all].map(([pkg, v]) => `${pkg} ${v}`).join(', ');
}

/**
 * A hand-written SVG: for each suite, the set and get rows grouped by size and concurrency,
 * one bar per subject, each group scaled to its fastest bar (our stores in a darker colour).
 */
export function chart(rows: readonly Row[]): string {
  const width = 900;
  // Room for the longest subject name at 12 px (about 6.5 px a character) before the bars.
  const longest = Math.max(0, ...rows.map((r) => r.subject.length));
  const labelWidth = Math.max(260, 30 + Math.ceil(6.5 * longest));
  const barHeight = 14;
  const parts: string[] = [];
  let y = 30;
  parts.push(
    `<text x="10" y="20" font-size="16" font-weight="bold">ops/s per subject (set and get; each group scaled to its fastest; our stores dark)</text>`,
  );
  for (const suite of ['memory', 'file', 'redis', 'valkey']) {
    const timed = rows.filter(
      (r) =>
        r.suite === suite &&
        r.timing !== undefined &&
        (r.workload === 'set' || r.workload === 'get'),
    );
    if (timed.length === 0) continue;
    y += 24;
    parts.push(
      `<text x="10" y="${y}" font-size="15" font-weight="bold">${escapeXml(suite)}</text>`,
    );
    const groups = new Map<string, Row[]>();
    for (const r of timed) {
      const key = `${r.workload} ${formatBytes(r.valueBytes)} ×${r.inFlight}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [group, members] of groups) {
      y += 20;
      parts.push(
        `<text x="10" y="${y}" font-size="13" font-style="italic">${escapeXml(group)}</text>`,
      );
      const max = Math.max(...members.map((r) => r.timing?.opsPerSec ?? 0));
      for (const r of members) {
        y += barHeight + 4;
        const value = r.timing?.opsPerSec ?? 0;
        const w = max > 0 ? Math.max(1, Math.round(((width - labelWidth - 120) * value) / max)) : 1;
        const fill = r.ours ? '#1f4e99' : '#9bb4d6';
        parts.push(
          `<text x="20" y="${y}" font-size="12">${escapeXml(r.subject)}</text>`,
          `<rect x="${labelWidth}" y="${y - barHeight + 3}" width="${w}" height="${barHeight}" fill="${fill}"/>`,
          `<text x="${labelWidth + w + 6}" y="${y}" font-size="12">${escapeXml(formatNumber(value))}</text>`,
        );
      }
    }
  }
  const height = y + 20;
  return svgDocument(width, height, parts);
}
