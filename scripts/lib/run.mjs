// Child processes and terminal output for the repo scripts (check, conformance, release
// rehearsal): one line per step or package, full logs only for what failed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** `text` without ANSI escape sequences (colour codes replayed from cached logs). */
export function stripAnsi(text) {
  // CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles).
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
    /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g,
    '',
  );
}

/**
 * Runs `command args` with stdout and stderr merged in the order they were written, resolving
 * `{ code, output, timedOut }`; never rejects (a missing command is exit code 127).
 * `onLine` sees each complete line as it arrives.
 */
export function run(command, args, { cwd = ROOT, env, timeoutMs, onLine } = {}) {
  return new Promise((done) => {
    // One pipe for both streams keeps their order: a turbo error line belongs after its log.
    const child = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', command, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: timeoutMs !== undefined,
    });
    let output = '';
    let pending = '';
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            // The whole process group: a snippet's own children must not outlive it.
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {}
          }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (onLine === undefined) return;
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(stripAnsi(line));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (onLine !== undefined && pending !== '') onLine(stripAnsi(pending));
      done({ code: code ?? (signal === null ? 1 : 128), output: stripAnsi(output), timedOut });
    });
  });
}

/** `text` indented for a log shown under a failed line, trailing blank lines dropped. */
export function indent(text, prefix = '    ') {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : `${prefix}${line}`))
    .join('\n');
}

/** Seconds since `startedMs` (a `performance.now()`), as `12.3 s`. */
export function since(startedMs) {
  return `${((performance.now() - startedMs) / 1000).toFixed(1)} s`;
}

let status = false;

/** Prints one line, replacing the status line `progress` left on a terminal. */
export function say(line = '') {
  process.stdout.write(`${status ? '\r\u001b[K' : ''}${line}\n`);
  status = false;
}

/** On a terminal, shows `text` until the next `say` (what is running now); elsewhere nothing. */
export function progress(text) {
  if (!process.stdout.isTTY) return;
  process.stdout.write(`${status ? '\r\u001b[K' : ''}${text.slice(0, process.stdout.columns - 1)}`);
  status = true;
}

/**
 * The plain closing line CI systems read: `N passed, M failed, K skipped`, with optional
 * extra clauses (`, 2 backends not run`).
 */
export function closingLine({ passed, failed, skipped }, ...extra) {
  return [`${passed} passed`, `${failed} failed`, `${skipped} skipped`, ...extra].join(', ');
}

/** Parses a closing line back into counts, or undefined when `line` is not one. */
export function parseClosingLine(line) {
  const match = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?(?:,|$)/.exec(line.trim());
  if (match === null) return undefined;
  return { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3] ?? 0) };
}
