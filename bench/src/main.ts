import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAtomicSuites, runServerAtomicSuite } from './atomic-subjects.js';
import { runDeleteAllSuite } from './delete-all.js';
import { benchDir } from './env.js';
import { runFileSuite } from './file.js';
import { runMemorySuite } from './memory.js';
import { runFootprintSuite } from './memory-footprint.js';
import { flavour, runServerSuite } from './redis.js';
import { markdown, targetsTable, writeReport } from './report.js';
import { Recorder } from './results.js';
import { runScaleSuite } from './scale.js';
import { type BenchServer, startServer } from './servers.js';
import { evaluateTargets } from './targets.js';

const SUITES = [
  'footprint',
  'memory',
  'file',
  'redis',
  'valkey',
  'deleteAll',
  'atomic',
  'scale',
] as const;
type Suite = (typeof SUITES)[number];

/** Sizes of a run: `full` is the published one, `quick` the CI smoke run (same code paths). */
const PLANS = {
  full: {
    footprintEntries: 1_000_000,
    memory: { sizes: [100, 10240], inFlight: [1], ops: 200_000, warmup: 20_000 },
    file: {
      sizes: [100, 10240],
      inFlight: [1, 64],
      ops: 5_000,
      warmup: 500,
      sweepEntries: 100_000,
    },
    server: { sizes: [100, 10240], inFlight: [1, 64], ops: 20_000, warmup: 2_000 },
    deleteAllEntries: 100_000,
    atomic: { sizes: [100], inFlight: [1, 64], ops: 10_000, warmup: 1_000 },
    scale: {
      memory: { entries: [1_000, 100_000, 1_000_000], ops: 200_000, warmup: 20_000 },
      file: { entries: [1_000, 10_000, 100_000], ops: 5_000, warmup: 500 },
    },
  },
  quick: {
    footprintEntries: 100_000,
    memory: { sizes: [100, 10240], inFlight: [1], ops: 20_000, warmup: 2_000 },
    file: { sizes: [100, 10240], inFlight: [1, 64], ops: 1_000, warmup: 200, sweepEntries: 10_000 },
    server: { sizes: [100, 10240], inFlight: [1, 64], ops: 2_000, warmup: 500 },
    deleteAllEntries: 10_000,
    atomic: { sizes: [100], inFlight: [1, 64], ops: 1_000, warmup: 200 },
    scale: {
      memory: { entries: [1_000, 10_000, 100_000], ops: 20_000, warmup: 2_000 },
      file: { entries: [1_000, 5_000, 10_000], ops: 1_000, warmup: 200 },
    },
  },
};

const USAGE = `usage: pnpm bench [--quick] [--only ${SUITES.join(',')}] [--out DIR] [--note TEXT]`;

async function main(): Promise<number> {
  // `pnpm bench -- --quick` may hand us the `--` itself.
  const argv = process.argv.slice(2).filter((arg) => arg !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const mode = values.quick ? 'quick' : 'full';
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((s) => !(SUITES as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; ${USAGE}`);
  const wanted = (suite: Suite): boolean => only === undefined || only.includes(suite);
  const plan = PLANS[mode];
  const outDir = values.out ?? join(benchDir, mode === 'quick' ? 'results/quick' : 'results');
  const date = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const recorder = new Recorder();
  process.stderr.write(`@stores bench, ${mode} run, results to ${outDir}\n`);

  const servers: BenchServer[] = [];
  const stopServers = async (): Promise<void> => {
    await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
  };
  const interrupted = (): void => {
    process.stderr.write('interrupted: stopping servers\n');
    void stopServers().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    // First, while the heap is quiet.
    if (wanted('footprint')) await runFootprintSuite(recorder, plan.footprintEntries);
    if (wanted('memory')) await runMemorySuite(recorder, plan.memory);
    if (wanted('file')) await runFileSuite(recorder, plan.file);
    if (wanted('atomic')) await runAtomicSuites(recorder, plan.atomic);
    if (wanted('scale')) await runScaleSuite(recorder, plan.scale);
    for (const kind of ['redis', 'valkey'] as const) {
      if (!wanted(kind) && !wanted('deleteAll') && !wanted('atomic')) continue;
      const server = await startServer(kind);
      if (typeof server === 'string') {
        recorder.skipSuite(kind, server);
        continue;
      }
      servers.push(server);
      process.stderr.write(
        `[${kind}] server ${server.version} via ${server.via} at ${server.url}\n`,
      );
      const f = await flavour(server);
      if (typeof f === 'string') {
        recorder.skipSuite(kind, f);
      } else {
        if (wanted(kind)) await runServerSuite(recorder, f, plan.server, runId);
        if (wanted('deleteAll')) await runDeleteAllSuite(recorder, f, plan.deleteAllEntries, runId);
        if (wanted('atomic')) await runServerAtomicSuite(recorder, f, plan.atomic, runId);
      }
      await server.stop();
    }
  } finally {
    await stopServers();
  }

  const report = {
    date,
    mode,
    machine: recorder.machine,
    load: { start: loadAtStart, end: loadavg()[0] ?? Number.NaN },
    note: values.note,
    rows: recorder.rows,
    skippedSuites: recorder.skippedSuites,
    targets: evaluateTargets(recorder.rows),
  } as const;
  const files = await writeReport(outDir, report);
  // Only a complete full run into the default place replaces the committed results.
  if (mode === 'full' && only === undefined && values.out === undefined) {
    const committed = join(benchDir, 'RESULTS.md');
    await writeFile(committed, markdown(report));
    files.push(committed);
  }
  const failures = recorder.failures;
  process.stdout.write(
    [
      '',
      '## Targets (reported, not asserted)',
      '',
      ...targetsTable(report.targets),
      '',
      ...recorder.skippedSuites.map(({ suite, reason }) => `NOT RUN: ${suite}: ${reason}`),
      `${recorder.rows.length} rows; ${failures.length} failed.`,
      ...failures.map(
        (r) =>
          `FAILED: [${r.suite}] ${r.subject} ${r.workload} ${r.valueBytes} B ×${r.inFlight}: ${r.note ?? ''}`,
      ),
      `Written: ${files.join(', ')}`,
      '',
    ].join('\n'),
  );
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
