// Runs one turbo task over the workspace and reports each package's result as it finishes,
// instead of replaying every log: turbo's grouped output gives each task's log as one block
// once the task is done, which is when its line is printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indent, progress, ROOT, run, say } from './run.mjs';

const TURBO = join(ROOT, 'node_modules', '.bin', 'turbo');
const TASK_NAMES = Object.keys(JSON.parse(readFileSync(join(ROOT, 'turbo.json'), 'utf8')).tasks)
  // Longest first: `lint:package` must not be read as `lint`.
  .sort((a, b) => b.length - a.length)
  .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
// `@stores/core:build: text` is a task's own output; `@stores/core#build:  WARNING  …` is turbo's.
const OUTPUT_LINE = new RegExp(`^(\\S+?):(${TASK_NAMES.join('|')}): ?(.*)$`);
// pnpm ends the log of a script that failed with this line, inside the task's own block.
const SCRIPT_FAILED = /ELIFECYCLE\s+Command failed|ERR_PNPM_/;

/**
 * Parses turbo's grouped output line by line. Calls `onTask({ id, pkg, task, cached, failed,
 * log })` once per task when its block is complete; `finish()` completes the last one and
 * returns the ids turbo's closing `Failed:` line names.
 */
export function turboOutputParser(onTask) {
  let current;
  const warned = new Set();
  const failedIds = new Set();
  const done = new Map();
  const complete = () => {
    if (current === undefined) return;
    const { pkg, task, lines } = current;
    const id = `${pkg}#${task}`;
    current = undefined;
    const earlier = done.get(id);
    if (earlier !== undefined) {
      // Output interleaved after all (turbo not in grouped mode): one task, one report.
      earlier.log += `\n${lines.join('\n')}`;
      return;
    }
    const log = lines.join('\n');
    const result = {
      id,
      pkg,
      task,
      cached: /^cache hit/.test(lines[0] ?? ''),
      failed: warned.has(id) || SCRIPT_FAILED.test(log),
      log,
    };
    done.set(id, result);
    onTask(result);
  };
  return {
    line(text) {
      const output = OUTPUT_LINE.exec(text);
      if (output !== null) {
        const [, pkg, task, rest] = output;
        if (current === undefined || current.pkg !== pkg || current.task !== task) {
          complete();
          current = { pkg, task, lines: [] };
        }
        current.lines.push(rest ?? '');
        return;
      }
      const warning = /^(\S+#\S+): +(?:WARNING|ERROR) /.exec(text);
      if (warning?.[1] !== undefined) {
        warned.add(warning[1]);
        return;
      }
      const failed = /^\s*Failed:\s+(.*)$/.exec(text);
      if (failed?.[1] !== undefined) {
        for (const id of failed[1].split(',')) failedIds.add(id.trim());
      }
    },
    finish() {
      complete();
      return failedIds;
    },
  };
}

/**
 * The tasks `turbo run task` would run (those with a command): `{ id, pkg, command, directory }`,
 * `id` as `pkg#task` and `directory` relative to the root.
 */
export async function plannedTasks(task, args = []) {
  const dry = await run(TURBO, ['run', task, ...args, '--dry-run=json']);
  if (dry.code !== 0) return [];
  const plan = JSON.parse(dry.output.slice(dry.output.indexOf('{')));
  return plan.tasks
    .filter((t) => t.task === task && t.command !== '<NONEXISTENT>')
    .map((t) => ({ id: t.taskId, pkg: t.package, command: t.command, directory: t.directory }));
}

/**
 * Runs `turbo run task` (plus `args`, e.g. `--filter`) and resolves `{ tasks, notRun, output,
 * code }`: every finished task of `task` (dependencies such as `build` are followed but not
 * reported), the planned ones that never ran because a dependency failed, turbo's whole output
 * (for when turbo itself fails) and its exit code. `onTask` sees each task as it finishes.
 */
async function runTurbo(task, { args = [], onTask = () => {} } = {}) {
  const tasks = [];
  const parser = turboOutputParser((result) => {
    if (result.task !== task) {
      // A dependency that failed is reported, or its dependents' "not run" would be a riddle.
      if (!result.failed) return;
    }
    tasks.push(result);
    onTask(result);
  });
  const turboArgs = ['run', task, ...args, '--continue=dependencies-successful'];
  turboArgs.push('--log-order=grouped', '--output-logs=full', '--log-prefix=task', '--no-color');
  const result = await run(TURBO, turboArgs, { onLine: (line) => parser.line(line) });
  const failedIds = parser.finish();
  for (const t of tasks) if (failedIds.has(t.id)) t.failed = true;
  let notRun = [];
  if (result.code !== 0) {
    const seen = new Set(tasks.map((t) => t.id));
    notRun = (await plannedTasks(task, args)).filter((t) => !seen.has(t.id));
  }
  return { tasks, notRun, output: result.output, code: result.code };
}

/**
 * One step of a script: `turbo run task` with a line per package as it finishes (`✓`, or `✗`
 * and its whole log), then one line for the packages that never ran. Resolves `{ tasks,
 * notRun, failed }`: the finished tasks, those that never ran, and the ids of the failed ones.
 */
export async function runTurboStep(task, { args = [] } = {}) {
  const failed = [];
  progress(`${task}…`);
  const result = await runTurbo(task, {
    args,
    onTask: (t) => {
      if (t.failed) failed.push(t.id);
      const cached = t.cached ? ' (cached)' : '';
      const name = t.task === task ? t.pkg : `${t.pkg} (${t.task})`;
      say(`  ${t.failed ? '✗' : '✓'} ${task} ${name}${cached}`);
      if (t.failed) say(indent(t.log));
      progress(`${task}…`);
    },
  });
  if (result.tasks.length === 0 && result.code !== 0) {
    // turbo itself failed (a bad turbo.json, a cycle): its own words are all there is.
    failed.push(`turbo run ${task}`);
    say(`  ✗ ${task}: turbo exited ${result.code}`);
    say(indent(result.output));
  }
  if (result.notRun.length > 0) {
    say(`  - ${task} not run, a dependency failed: ${result.notRun.map((t) => t.pkg).join(', ')}`);
  }
  return { tasks: result.tasks, notRun: result.notRun, failed };
}
