#!/usr/bin/env node
// `pnpm conformance`: builds the packages (a line per package), then runs every backend's
// conformance file (packages/*/test/*.conformance.test.ts, found by name) and prints a line
// per backend, every failure, every backend that did not run and why, and the closing line
// `N passed, M failed, K skipped[, B backends not run]`. "All backends conform" only when every
// backend ran and passed. Exit status 1 when a case failed, or when a backend did not run and
// STORES_REQUIRE_SERVERS=1.
//
// Usage: node scripts/conformance.mjs [--no-build] [backend ...]   (e.g. `redis valkey`)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  add,
  counts,
  countsText,
  isNoServer,
  missingServers,
  REPORTER_ARGS,
  readReport,
} from './lib/reports.mjs';
import { closingLine, indent, progress, ROOT, run, say, since } from './lib/run.mjs';
import { runTurboStep } from './lib/turbo.mjs';

const SUFFIX = '.conformance.test.ts';

/** Every conformance file, with the package that owns it. */
function findSuites() {
  const suites = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    let files;
    try {
      files = readdirSync(join(ROOT, 'packages', dir, 'test'));
    } catch {
      continue; // a package without tests
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    for (const file of files.filter((f) => f.endsWith(SUFFIX)).sort()) {
      const backend = file.slice(0, -SUFFIX.length);
      suites.push({
        backend,
        pkg: pkg.name,
        dir: join(ROOT, 'packages', dir),
        file: `test/${file}`,
      });
    }
  }
  return suites;
}

/** Runs one conformance file; resolves to its counts, failures and why parts did not run. */
async function runSuite(suite, reportDir) {
  const started = performance.now();
  const result = await run('pnpm', ['exec', 'vitest', 'run', suite.file, ...REPORTER_ARGS], {
    cwd: suite.dir,
    env: { STORES_TEST_REPORT_DIR: reportDir },
  });
  const report = readReport(reportDir, suite.pkg);
  const duration = since(started);
  if (report === undefined) {
    // vitest never got to report: the whole output is the only explanation.
    return { ...suite, duration, passed: 0, failed: 1, skipped: 0, crashed: result.output };
  }
  const c = counts(report);
  const missing = missingServers(report);
  // A run can fail with no failed test (a hook, an unhandled rejection): still a failure.
  if (result.code !== 0 && c.failed === 0) c.failed = 1;
  return {
    ...suite,
    duration,
    ...c,
    failures: report.failures,
    errors: report.errors,
    missing,
    // Nothing passed, and nothing failed but for the lack of a server.
    ranNothing: c.passed === 0 && (c.failed === 0 || missing.length > 0),
  };
}

function resultLine(r, widths) {
  const mark = r.failed > 0 ? '✗' : r.missing.length > 0 || r.ranNothing ? '-' : '✓';
  const what = r.ranNothing ? '  did not run' : r.missing.length > 0 ? '  ran only in part' : '';
  const name = `${r.backend.padEnd(widths.backend)}  ${r.pkg.padEnd(widths.pkg)}`;
  return `${mark} ${name}  ${countsText(r).padEnd(34)} ${r.duration.padStart(7)}${what}`;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  say('Usage: node scripts/conformance.mjs [--no-build] [backend ...]');
  say('Builds the packages, runs every packages/*/test/*.conformance.test.ts (or the backends');
  say('named) and names each backend that did not run and why. Exit status 1 when a case failed,');
  say('or when a backend did not run and STORES_REQUIRE_SERVERS=1.');
  process.exit(0);
}
const all = findSuites();
const unknown = positionals.filter((name) => !all.some((s) => s.backend === name));
if (all.length === 0 || unknown.length > 0) {
  say(
    unknown.length > 0
      ? `no conformance file for ${unknown.join(', ')} (backends: ${all.map((s) => s.backend).join(', ')})`
      : `no packages/*/test/*${SUFFIX} files found`,
  );
  process.exit(2);
}
const suites = positionals.length === 0 ? all : all.filter((s) => positionals.includes(s.backend));

if (!values['no-build']) {
  const started = performance.now();
  say('build');
  const build = await runTurboStep('build', { args: ['--filter=./packages/*'] });
  if (build.failed.length > 0 || build.notRun.length > 0) {
    say(`\nthe build failed (${since(started)}): no backend was run`);
    say(closingLine({ passed: 0, failed: build.failed.length, skipped: 0 }));
    process.exit(1);
  }
  say(`  built ${build.tasks.length} packages in ${since(started)}`);
}

say(`\nconformance: ${suites.length} backend${suites.length === 1 ? '' : 's'}`);
const widths = {
  backend: Math.max(...suites.map((s) => s.backend.length)),
  pkg: Math.max(...suites.map((s) => s.pkg.length)),
};
const reports = mkdtempSync(join(tmpdir(), 'stores-conformance-'));
const rows = [];
try {
  for (const [i, suite] of suites.entries()) {
    progress(`… ${suite.backend} (${suite.pkg} ${suite.file})`);
    const row = await runSuite(suite, join(reports, String(i)));
    rows.push({ missing: [], ...row });
    say(resultLine(rows.at(-1), widths));
  }
} finally {
  rmSync(reports, { recursive: true, force: true });
}

for (const row of rows) {
  for (const f of row.failures ?? []) say(`\n✗ [${row.backend}] ${f.name}\n${indent(f.message)}`);
  // A missing server is told below, with the other backends that did not run.
  for (const e of (row.errors ?? []).filter((e) => !isNoServer(e.message))) {
    say(`\n✗ [${row.backend}] ${e.file ?? 'run'} failed outside any test:\n${indent(e.message)}`);
  }
  if (row.crashed !== undefined) {
    say(`\n✗ [${row.backend}] vitest wrote no report; its output:\n${indent(row.crashed)}`);
  }
}
const notRun = rows.filter((r) => r.ranNothing || r.missing.length > 0);
for (const row of notRun) {
  const part = row.ranNothing ? 'did not run' : 'ran only in part';
  say(`\n- ${row.backend} (${row.pkg}) ${part}:`);
  for (const { message } of row.missing) say(indent(message));
  if (row.missing.length === 0)
    say('    every test skipped itself; see its output with --reporter=verbose');
}

const total = rows.reduce((sum, r) => add(sum, r), { passed: 0, failed: 0, skipped: 0 });
// A backend that failed only for want of a server (STORES_REQUIRE_SERVERS=1) is "not run".
const broken = rows.filter((r) => r.failed > 0 && !r.ranNothing);
const conforming = rows.filter((r) => r.failed === 0 && !notRun.includes(r));
say('');
if (conforming.length === rows.length) {
  say(`all ${rows.length} backends conform`);
} else {
  const parts = [`${conforming.length} of ${rows.length} backends conform`];
  if (broken.length > 0) parts.push(`failed: ${broken.map((r) => r.backend).join(', ')}`);
  if (notRun.length > 0) parts.push(`not run: ${notRun.map((r) => r.backend).join(', ')}`);
  say(parts.join('; '));
}
const strict = process.env.STORES_REQUIRE_SERVERS === '1';
if (notRun.length > 0) {
  say(
    strict
      ? 'STORES_REQUIRE_SERVERS=1: a backend that did not run fails the run'
      : 'set STORES_REQUIRE_SERVERS=1 to make a backend that did not run fail the run',
  );
}
const extra =
  notRun.length > 0 ? [`${notRun.length} backend${notRun.length === 1 ? '' : 's'} not run`] : [];
say(closingLine(total, ...extra));
process.exit(total.failed > 0 || (strict && notRun.length > 0) ? 1 : 0);
