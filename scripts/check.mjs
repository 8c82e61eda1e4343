#!/usr/bin/env node
// `pnpm check`: build, typecheck, lint, packaging lint (publint + attw), every package's tests,
// the scripts' own tests and the release rehearsal. One line per package and step, the whole
// log only of what failed, and last the closing line `N passed, M failed, K skipped` over all
// tests, where a failure outside the tests (a build, a lint, a rehearsal check) counts as one
// failure each. Every step runs even when an earlier one failed, so one run tells everything.
// Exit status 1 on any failure.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  add,
  counts,
  countsText,
  missingServers,
  REPORTER_ARGS,
  readReport,
} from './lib/reports.mjs';
import {
  closingLine,
  indent,
  parseClosingLine,
  progress,
  ROOT,
  run,
  say,
  since,
} from './lib/run.mjs';
import { plannedTasks, runTurboStep } from './lib/turbo.mjs';

// Test packages run at once (STORES_CHECK_CONCURRENCY): their tests mostly wait on servers,
// child processes and TTLs, so they overlap well; fewer on a machine shared with others.
const TEST_CONCURRENCY = Number(process.env.STORES_CHECK_CONCURRENCY) || 6;
const reportDir = mkdtempSync(join(tmpdir(), 'stores-check-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = []; // what failed, for the recap line
const noServer = new Map(); // package -> the tests' own "no server" messages

/** A test task's verdict from its report; its counts go into the totals. */
function judgeTests(task, dir = reportDir) {
  const report = readReport(dir, task.pkg);
  if (report === undefined) {
    totals.failed += 1;
    failures.push(`test ${task.pkg}`);
    return { failed: true, detail: 'vitest wrote no report (its log follows)' };
  }
  const c = counts(report);
  if (task.failed && c.failed === 0) c.failed = 1; // it failed outside any test
  add(totals, c);
  if (c.failed > 0) failures.push(`test ${task.pkg} (${c.failed})`);
  const missing = missingServers(report);
  if (missing.length > 0) noServer.set(task.pkg, missing);
  const note = missing.length > 0 ? `  (no ${missing.map((m) => m.what).join(', no ')})` : '';
  const seconds = (report.durationMs / 1000).toFixed(1);
  return { failed: c.failed > 0, detail: `${countsText(c)}  ${seconds} s${note}` };
}

/** A turbo task over every package: a line each, and each failed task counts as one failure. */
async function turboStep(task, options = {}) {
  const started = performance.now();
  say(task);
  const step = await runTurboStep(task, options);
  totals.failed += step.failed.length;
  failures.push(...step.failed.map((id) => id.replace('#', ' ')));
  const bad = step.failed.length > 0 || step.notRun.length > 0;
  say(`  ${bad ? '✗' : '✓'} ${task}: ${step.tasks.length} packages in ${since(started)}`);
  return step;
}

/**
 * Every package's `test` script, a few at a time (servers, child processes and short TTLs
 * share two cores), each as one line. A vitest script writes a report through our reporter;
 * any other (a CLI) is read by its closing line. Packages whose build failed are not run.
 */
async function testStep(build) {
  const started = performance.now();
  say('test');
  const unbuilt = new Set(
    [...build.failed, ...build.notRun.map((t) => t.id)].map((id) => id.split('#')[0]),
  );
  // The biggest test suites first, so that the longest runs do not start last.
  const planned = (await plannedTasks('test'))
    .filter((t) => !unbuilt.has(t.pkg))
    .map((t) => ({ ...t, size: testBytes(join(ROOT, t.directory, 'test')) }))
    .sort((a, b) => b.size - a.size);
  if (unbuilt.size > 0) say(`  - test not run, the build failed: ${[...unbuilt].join(', ')}`);
  let next = 0;
  const worker = async () => {
    for (let t = planned[next++]; t !== undefined; t = planned[next++]) {
      progress(`test ${t.pkg}…`);
      // A plain `vitest run …` script gets our reporter added; any other runs as written.
      const vitest = /^vitest run(\s+[\w./=-]+)*$/.test(t.command);
      const args = vitest ? ['exec', ...t.command.split(/\s+/), ...REPORTER_ARGS] : ['run', 'test'];
      const result = await run('pnpm', args, {
        cwd: join(ROOT, t.directory),
        env: { STORES_TEST_REPORT_DIR: reportDir },
      });
      const task = { pkg: t.pkg, failed: result.code !== 0 };
      const verdict = vitest ? judgeTests(task) : judgeClosingLine(task, result.output);
      say(`  ${verdict.failed ? '✗' : '✓'} test ${t.pkg}  ${verdict.detail}`);
      if (verdict.failed) say(indent(result.output));
    }
  };
  await Promise.all(Array.from({ length: TEST_CONCURRENCY }, worker));
  say(
    `  ${failures.some((f) => f.startsWith('test ')) ? '✗' : '✓'} test: ${planned.length} packages in ${since(started)}`,
  );
}

/** The bytes of the files under `dir`: a rough measure of how long its tests run. */
function testBytes(dir) {
  let bytes = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

/** A test script that is not vitest (the conformance CLI): its closing line has the counts. */
function judgeClosingLine(task, output) {
  const c = output
    .split('\n')
    .map(parseClosingLine)
    .findLast((x) => x !== undefined) ?? {
    passed: 0,
    failed: 0,
    skipped: 0,
  };
  if (task.failed && c.failed === 0) c.failed = 1;
  add(totals, c);
  if (c.failed > 0) failures.push(`test ${task.pkg} (${c.failed})`);
  return { failed: c.failed > 0, detail: countsText(c) };
}

/** A step that is one command: a line, and its whole output only when it failed. */
async function commandStep(name, command, args, describe) {
  const started = performance.now();
  say(name);
  progress(`${name}…`);
  const result = await run(command, args);
  const ok = result.code === 0;
  if (!ok) {
    totals.failed += 1;
    failures.push(name);
  }
  say(`  ${ok ? '✓' : '✗'} ${name}: ${describe(result)} in ${since(started)}`);
  if (!ok) say(indent(result.output));
}

const started = performance.now();
try {
  const build = await turboStep('build');
  await turboStep('typecheck');
  await commandStep('lint', 'pnpm', ['exec', 'biome', 'ci', '.'], ({ output, code }) => {
    const summary = /^Checked .*$/m.exec(output)?.[0];
    return code === 0 ? `biome ci . (${summary ?? 'clean'})` : 'biome ci . found problems';
  });
  await turboStep('lint:package');
  await testStep(build);

  // The scripts' own tests (their helpers, the podman scripts), outside any package.
  say('test scripts');
  progress('test scripts…');
  const dir = join(reportDir, 'scripts');
  const scripts = await run(
    'pnpm',
    ['exec', 'vitest', 'run', '--dir', 'scripts', ...REPORTER_ARGS],
    {
      env: { STORES_TEST_REPORT_DIR: dir },
    },
  );
  const verdict = judgeTests({ pkg: 'stores-monorepo', failed: scripts.code !== 0 }, dir);
  say(`  ${verdict.failed ? '✗' : '✓'} test scripts  ${verdict.detail}`);
  if (verdict.failed) say(indent(scripts.output));

  say('release rehearsal');
  const rehearsal = await run(process.execPath, ['scripts/release-rehearsal.mjs', '--no-build'], {
    onLine: (line) => say(`  ${line}`),
  });
  const rehearsed = parseClosingLine(rehearsal.output.trimEnd().split('\n').at(-1) ?? '');
  const rehearsalFailures = rehearsed?.failed ?? (rehearsal.code === 0 ? 0 : 1);
  if (rehearsalFailures > 0) {
    totals.failed += rehearsalFailures;
    failures.push(`release rehearsal (${rehearsalFailures})`);
  }
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}

say('');
if (noServer.size > 0) {
  say(`tests skipped for want of a server, in ${[...noServer.keys()].join(', ')}:`);
  const messages = new Map([...noServer.values()].flat().map((m) => [m.what, m.message]));
  for (const message of messages.values()) say(indent(message));
  say('    (STORES_REQUIRE_SERVERS=1 makes them fail instead of skipping)');
}
say(
  failures.length === 0
    ? `check passed in ${since(started)}`
    : `check failed in ${since(started)}: ${failures.join(', ')}`,
);
say(closingLine(totals));
process.exit(totals.failed > 0 ? 1 : 0);
