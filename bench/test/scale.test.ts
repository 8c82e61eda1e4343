import { describe, expect, it } from 'vitest';
import { machine } from '../src/env.js';
import { seededIndices } from '../src/harness.js';
import { markdown } from '../src/report.js';
import { Recorder, type Row } from '../src/results.js';
import { runScaleSuite, scaleWorkload } from '../src/scale.js';
import { compact, decades, scaleChart, scalePanels } from '../src/scale-chart.js';

const at = machine();

function scaleRow(subject: string, measure: string, entries: number, value: number): Row {
  const timed = measure === 'get' || measure === 'set (overwrite)';
  return {
    suite: 'scale',
    subject,
    ours: true,
    versions: {},
    workload: scaleWorkload(measure, entries),
    valueBytes: 100,
    inFlight: subject === 'FileStore' && timed ? 64 : 1,
    status: 'ok',
    ...(timed
      ? {
          timing: { ops: 1, elapsedMs: 1, opsPerSec: value, p50Ms: 0.1, p99Ms: 0.2, cpuUsPerOp: 1 },
        }
      : {}),
    metrics: timed
      ? { entries }
      : measure === 'keys'
        ? { entries, durationMs: (entries / value) * 1000, keysPerSec: value }
        : { entries, durationMs: value, removed: entries / 2 },
    machine: at,
  };
}

function wipeRow(subject: string, server: string, entries: number | undefined, ms: number): Row {
  return {
    suite: 'deleteAll',
    subject,
    ours: subject.endsWith('Store'),
    versions: { [`${server}-server`]: '8.0.1 (binary)' },
    workload: `${server}: deleteAll ${entries ?? 100_000}`,
    valueBytes: 100,
    inFlight: 1,
    status: 'ok',
    metrics: { ...(entries === undefined ? {} : { entries }), durationMs: ms, stallMs: 1 },
    machine: at,
  };
}

const sizes = [1_000, 100_000, 1_000_000];
const rows: Row[] = [
  ...sizes.flatMap((n, i) => [
    scaleRow('MemoryStore', 'get', n, 500_000 - i * 100_000),
    scaleRow('MemoryStore', 'set (overwrite)', n, 600_000),
    scaleRow('MemoryStore', 'keys', n, 1_000_000),
  ]),
  ...[1_000, 10_000, 100_000].flatMap((n) => [
    scaleRow('FileStore', 'get', n, 6_000),
    scaleRow('FileStore', 'keys', n, 20_000),
    scaleRow('FileStore', 'deleteExpired (half expired)', n, n / 10),
  ]),
];

describe('seededIndices()', () => {
  it('is the same for the same seed, within range, and spread over all of it', () => {
    const a = seededIndices(10_000, 1_000_000, 7);
    expect(seededIndices(10_000, 1_000_000, 7)).toEqual(a);
    expect(seededIndices(10_000, 1_000_000, 8)).not.toEqual(a);
    expect(Math.max(...a)).toBeLessThan(1_000_000);
    const tenths = new Set(Array.from(a, (i) => Math.floor(i / 100_000)));
    expect(tenths.size).toBe(10);
  });
});

describe('compact() and decades()', () => {
  it('labels with three significant digits and a suffix', () => {
    expect([1000, 6469, 999_700, 1_000_000, 0.1, 35.25].map(compact)).toEqual([
      '1k',
      '6.47k',
      '1M',
      '1M',
      '0.1',
      '35.3',
    ]);
  });

  it('spans the decades holding the values, one at least', () => {
    expect(decades([1000, 1_000_000])).toEqual([3, 6]);
    expect(decades([1000, 5000])).toEqual([3, 4]);
    expect(decades([450_000, 620_000])).toEqual([5, 6]);
    expect(decades([1000])).toEqual([3, 4]);
  });
});

describe('scalePanels()', () => {
  it('draws one panel per measure and leaves deleteAll out without entries', () => {
    const panels = scalePanels([...rows, wipeRow('RedisStore', 'redis', undefined, 80)]);
    expect(panels.map((p) => p.title)).toEqual([
      'MemoryStore get / set, ops/s (1 in flight)',
      'FileStore get / set, ops/s (64 in flight)',
      'keys(), keys/s (full iteration)',
      'deleteExpired(), time (half of the entries expired)',
    ]);
    const memory = panels[0];
    expect(memory?.series.map((s) => s.label)).toEqual(['get', 'set (overwrite)']);
    expect(memory?.series[0]?.points).toEqual([
      { x: 1_000, y: 500_000 },
      { x: 100_000, y: 400_000 },
      { x: 1_000_000, y: 300_000 },
    ]);
  });

  it('plots deleteAll rows with entries, one line per subject and server', () => {
    const wipes = [10_000, 100_000].flatMap((n) => [
      wipeRow('RedisStore', 'redis', n, n / 1000),
      wipeRow('ValkeyStore', 'valkey', n, n / 1000),
      wipeRow('unstorage (redis driver)', 'redis', n, n / 100),
      wipeRow('unstorage (redis driver)', 'valkey', n, n / 100),
    ]);
    const panel = scalePanels(wipes).at(-1);
    expect(panel?.title).toMatch(/^deleteAll/);
    expect(panel?.series.map((s) => `${s.label}: ${s.points.length}`)).toEqual([
      'RedisStore: 2',
      'ValkeyStore: 2',
      'unstorage (redis driver), redis: 2',
      'unstorage (redis driver), valkey: 2',
    ]);
  });
});

describe('scaleChart()', () => {
  it('is an SVG with decade gridlines labelled 1k .. 1M', () => {
    const svg = scaleChart(rows);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const label of ['>1k<', '>10k<', '>100k<', '>1M<', '>100 ms<', '>10 s<']) {
      expect(svg).toContain(label);
    }
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('deleteAll');
  });

  it('says so when there is nothing to plot', () => {
    expect(scaleChart([])).toContain('No scale rows in this run.');
  });
});

describe('markdown()', () => {
  it('renders the scale table with the cost against the smallest size', () => {
    const md = markdown({
      date: '2026-01-01T00:00:00.000Z',
      mode: 'quick',
      machine: at,
      load: { start: 0, end: 0 },
      note: undefined,
      rows,
      skippedSuites: [],
      targets: [],
    });
    const table = md.slice(md.indexOf('## scale'), md.indexOf('## Targets'));
    expect(table).toContain(
      '| **MemoryStore** | get at 1,000,000 entries | 100 B | 1 | 300,000 ops/s |',
    );
    expect(table).toContain('1.67× |');
    expect(table).toContain('| 10,000 ms | | | 1.00× |');
    for (const line of table.split('\n').filter((l) => l.startsWith('| **'))) {
      expect(line.split('|').length).toBe(10);
    }
  });
});

describe('runScaleSuite()', () => {
  it('measures both stores at each size, every row verified', async () => {
    const recorder = new Recorder(() => {});
    const curve = { entries: [20, 200], ops: 100, warmup: 10 };
    await runScaleSuite(recorder, { memory: curve, file: curve });
    expect(recorder.failures).toEqual([]);
    expect(recorder.rows.map((r) => `${r.subject} ${r.workload}`)).toEqual(
      [20, 200]
        .flatMap((n) => [
          `MemoryStore get at ${n} entries`,
          `MemoryStore set (overwrite) at ${n} entries`,
          `MemoryStore keys at ${n} entries`,
        ])
        .concat(
          [20, 200].flatMap((n) => [
            `FileStore get at ${n} entries`,
            `FileStore set (overwrite) at ${n} entries`,
            `FileStore keys at ${n} entries`,
            `FileStore deleteExpired (half expired) at ${n} entries`,
          ]),
        ),
    );
    const sweep = recorder.rows.find(
      (r) => r.workload === scaleWorkload('deleteExpired (half expired)', 200),
    );
    expect(sweep?.metrics?.removed).toBe(100);
  }, 30_000);
});
