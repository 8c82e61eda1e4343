#!/usr/bin/env node
// The end of .ci/run: one closing line over every step it ran. Each step left `<n>.status`
// ("<exit code> <name>") and `<n>.log` in LOGDIR; a step's counts are the last closing line in
// its log (`pnpm check`, `pnpm conformance`), and a step that failed without counting a failure
// of its own (an install, the benchmark) counts as one failure. Exit status 1 on any failure.
//
// Usage: node scripts/ci-total.mjs LOGDIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closingLine, parseClosingLine, say } from './lib/run.mjs';

const dir = process.argv[2];
if (dir === undefined) {
  say('usage: node scripts/ci-total.mjs LOGDIR');
  process.exit(2);
}
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];
const steps = readdirSync(dir)
  .filter((file) => file.endsWith('.status'))
  .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
for (const file of steps) {
  const [code = '1', ...name] = readFileSync(join(dir, file), 'utf8').trim().split(' ');
  const log = join(dir, file.replace(/\.status$/, '.log'));
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const counts = lines.map(parseClosingLine).findLast((c) => c !== undefined);
  if (counts !== undefined) {
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
  }
  if (code !== '0') {
    failedSteps.push(name.join(' '));
    if ((counts?.failed ?? 0) === 0) totals.failed += 1;
  }
}
say('');
say(
  failedSteps.length === 0
    ? `ci: all ${steps.length} steps passed`
    : `ci: ${failedSteps.length} of ${steps.length} steps failed: ${failedSteps.join('; ')}`,
);
say(closingLine(totals));
process.exit(totals.failed > 0 ? 1 : 0);
