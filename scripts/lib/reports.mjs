// Reading what scripts/lib/vitest-reporter.mjs wrote, and what it means.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The reporter's absolute path, for `vitest run --reporter=<it>`. */
export const REPORTER = join(import.meta.dirname, 'vitest-reporter.mjs');

/** The vitest arguments that make a run write its report (to STORES_TEST_REPORT_DIR). */
export const REPORTER_ARGS = ['--reporter=default', `--reporter=${REPORTER}`];

/** The report of package `name` in `dir`, or undefined when the run wrote none (it crashed). */
export function readReport(dir, name) {
  const file = join(dir, `${name.replace(/[^a-zA-Z0-9._-]+/g, '_')}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * A report's counts. An error outside any test (a test file that failed to load, an unhandled
 * rejection) counts as one failure: it hid every test it would have run.
 */
export function counts(report) {
  return {
    passed: report.passed,
    failed: report.failed + report.errors.length,
    skipped: report.skipped,
  };
}

/** Adds `b`'s counts to `a`. */
export function add(a, b) {
  a.passed += b.passed;
  a.failed += b.failed;
  a.skipped += b.skipped;
  return a;
}

// The first line of @stores/conformance/servers' message when a test has no server to use.
const NO_SERVER = /@stores\/conformance: NO (.+?) AVAILABLE\b/;

/** Whether `text` is a test's explanation that it has no server to run against. */
export function isNoServer(text) {
  return NO_SERVER.test(text);
}

/**
 * The "no server" explanations the tests gave (each names the server and the ways to get
 * one), from their stderr or, under STORES_REQUIRE_SERVERS=1, from the errors they failed with.
 */
export function missingServers(report) {
  const found = new Map();
  for (const text of [...report.stderr, ...report.errors.map((e) => e.message)]) {
    const match = NO_SERVER.exec(text);
    if (match?.[1] === undefined) continue;
    // The message from its first line on, without the closing advice about skipping.
    const block = text
      .slice(match.index)
      .split('\n')
      .filter((line) => !/^(Skipping what needs|STORES_REQUIRE_SERVERS=1 forbids)/.test(line))
      .join('\n')
      .trimEnd();
    found.set(match[1].toLowerCase(), block);
  }
  // The server before the cluster: the first is what most readers lack.
  return [...found]
    .map(([what, message]) => ({ what, message }))
    .sort((a, b) => Number(a.what.includes('cluster')) - Number(b.what.includes('cluster')));
}

/** `12 passed, 0 failed, 3 skipped` for one package or backend. */
export function countsText({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
