#!/usr/bin/env node
// Runs every backend's conformance file (packages/*/test/*.conformance.test.ts) and prints one
// summary table. `pnpm conformance` builds the packages first. Exits 1 if any case failed or a
// run produced no report. New backends are picked up by the file name alone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const SUFFIX = '.conformance.test.ts';

/** Every conformance file, with the package that owns it. */
function findSuites() {
  const suites = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const testDir = join(root, 'packages', dir, 'test');
    let files;
    try {
      files = readdirSync(testDir);
    } catch {
      continue; // a package without tests
    }
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    for (const file of files.filter((f) => f.endsWith(SUFFIX)).sort()) {
      suites.push({ backend: file.slice(0, -SUFFIX.length), pkg: pkg.name, file: `test/${file}` });
    }
  }
  return suites;
}

/** Runs one file through vitest's JSON reporter; resolves to its counts and failures. */
function runSuite(suite, reportFile) {
  const args = ['--filter', suite.pkg, 'exec', 'vitest', 'run', suite.file];
  args.push('--reporter=json', `--outputFile=${reportFile}`);
  const started = performance.now();
  return new Promise((done) => {
    // Output goes to the terminal only on trouble: the table is the summary.
    const child = spawn('pnpm', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => {
      const durationMs = performance.now() - started;
      let report;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8'));
      } catch {
        done({ ...suite, durationMs, passed: 0, failed: 0, skipped: 0, error: output, code });
        return;
      }
      const failures = report.testResults
        .flatMap((file) => file.assertionResults)
        .filter((test) => test.status === 'failed')
        .map((test) => `${test.fullName}\n    ${(test.failureMessages[0] ?? '').split('\n')[0]}`);
      done({
        ...suite,
        durationMs,
        passed: report.numPassedTests,
        failed: report.numFailedTests,
        skipped: report.numPendingTests + report.numTodoTests,
        failures,
        // A failed run with no failed test (a crash, a failed import) still fails.
        error: code !== 0 && report.numFailedTests === 0 ? output : undefined,
        code,
      });
    });
  });
}

function table(rows) {
  const header = ['backend', 'package', 'passed', 'failed', 'skipped', 'duration'];
  const body = rows.map((r) => [
    r.backend,
    r.pkg,
    String(r.passed),
    r.error === undefined ? String(r.failed) : `${r.failed} (run failed)`,
    String(r.skipped),
    `${(r.durationMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const suites = findSuites();
if (suites.length === 0) {
  console.error(`no packages/*/test/*${SUFFIX} files found`);
  process.exit(1);
}
const reports = mkdtempSync(join(tmpdir(), 'stores-conformance-'));
const rows = [];
try {
  for (const [i, suite] of suites.entries()) {
    console.log(`running ${suite.backend} (${suite.pkg} ${suite.file})...`);
    rows.push(await runSuite(suite, join(reports, `${i}.json`)));
  }
} finally {
  rmSync(reports, { recursive: true, force: true });
}

for (const row of rows) {
  for (const failure of row.failures ?? []) console.log(`\n✗ [${row.backend}] ${failure}`);
  if (row.error !== undefined) console.log(`\n✗ [${row.backend}] run failed:\n${row.error}`);
}
console.log(`\n${table(rows)}`);
const bad = rows.filter((r) => r.failed > 0 || r.error !== undefined);
console.log(bad.length === 0 ? '\nall backends conform' : `\n${bad.length} backend(s) failed`);
// The closing line in the plain form CI systems read: `N passed, M failed[, K skipped]`.
const sum = (field) => rows.reduce((total, r) => total + r[field], 0);
const skipped = sum('skipped');
console.log(
  `conformance: ${sum('passed')} passed, ${sum('failed')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
);
process.exit(bad.length === 0 ? 0 : 1);
