// A vitest reporter for the repo scripts: writes one JSON file per run with the counts, each
// failure, each skip with its note, errors outside tests (a test file that failed to load) and
// what the tests wrote to stderr, which is where a test that lacks a server explains why.
// `vitest run --reporter=default --reporter=<this file>` with STORES_TEST_REPORT_DIR set.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const firstLine = (text = '') => text.split('\n').find((line) => line.trim() !== '') ?? '';

function errorText(error) {
  const message = error?.message ?? String(error);
  return error?.name && !message.startsWith(error.name) ? `${error.name}: ${message}` : message;
}

// biome-ignore lint/style/noDefaultExport: vitest loads a reporter module's default export
export default class StoresReporter {
  #root = process.cwd();
  #started = performance.now();
  #stderr = [];

  onInit(vitest) {
    this.#root = vitest.config.root;
  }

  onUserConsoleLog(log) {
    if (log.type === 'stderr') this.#stderr.push(log.content);
  }

  onTestRunEnd(modules, unhandledErrors, reason) {
    const dir = process.env.STORES_TEST_REPORT_DIR;
    if (dir === undefined || dir === '') return;
    const report = {
      package: this.#packageName(),
      reason,
      durationMs: performance.now() - this.#started,
      passed: 0,
      failed: 0,
      skipped: 0,
      failures: [],
      skips: [],
      errors: [],
      stderr: this.#stderr,
    };
    for (const module of modules) {
      for (const error of module.errors()) {
        report.errors.push({ file: module.relativeModuleId, message: errorText(error) });
      }
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') report.passed++;
        else if (result.state === 'failed') {
          report.failed++;
          report.failures.push({
            file: module.relativeModuleId,
            name: test.fullName,
            message: firstLine(errorText(result.errors[0])),
          });
        } else {
          // Skipped, todo, or never finished (an interrupted run): not a pass either way.
          report.skipped++;
          report.skips.push({
            file: module.relativeModuleId,
            name: test.fullName,
            note: result.note,
          });
        }
      }
    }
    for (const error of unhandledErrors) report.errors.push({ message: errorText(error) });
    mkdirSync(dir, { recursive: true });
    const file = `${report.package.replace(/[^a-zA-Z0-9._-]+/g, '_')}.json`;
    writeFileSync(join(dir, file), `${JSON.stringify(report, null, 2)}\n`);
  }

  #packageName() {
    try {
      return JSON.parse(readFileSync(join(this.#root, 'package.json'), 'utf8')).name;
    } catch {
      return this.#root;
    }
  }
}
