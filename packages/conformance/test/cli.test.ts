import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { cases, PASSES } from '../src/index.js';
import { ReferenceStore } from './reference-store.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const total = cases.length * PASSES.length;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI's source as a real child process; tsx loads it and the .ts fixtures. */
function cli(...args: string[]): Promise<Run> {
  return node(['--import', 'tsx', 'src/cli.ts', ...args]);
}

function node(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      { cwd: packageDir, timeout: 140_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

const lines = (text: string): string[] => text.trimEnd().split('\n');
const lastLine = (text: string): string => lines(text).at(-1) ?? '';

// Each run spawns Node with a TypeScript loader and runs cases: seconds, not ms.
describe.concurrent('stores-conformance CLI', { timeout: 60_000 }, () => {
  it('passes the reference store with exit 0, one line per case and no recap', async ({
    expect,
  }) => {
    const run = await cli('test/reference-store.ts');
    expect(run.stderr).toBe('');
    const { capabilities } = new ReferenceStore();
    const skipped = cases.filter((c) => c.requires && !capabilities[c.requires]).length * 3;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    expect(lastLine(run.stdout)).toBe(`${total - skipped} passed, 0 failed${tail}`);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toHaveLength(total + 1);
    expect(lines(run.stdout)[0]).toMatch(/^✓ root +key\.adversarial-distinct$/);
    expect(run.stdout).not.toMatch(/failed:|replay:/);
  });

  it('fails a broken store from --export with exit 1 and recaps each failure with a replay command', async ({
    expect,
  }) => {
    const run = await cli('test/fixtures/broken.ts', '--export', 'makeBrokenStore');
    expect(run.code).toBe(1);
    const out = lines(run.stdout);
    expect(run.stdout).toMatch(
      /^✗ root +expiry\.uniform: exists of an expired key should be false$/m,
    );
    // The recap follows the per-case lines: the count, then each failure with its title.
    const recap = out.findIndex((line) => /^\d+ failed:$/.test(line));
    expect(recap).toBeGreaterThan(0);
    expect(out.slice(recap)).toContain(
      '✗ root expiry.uniform: get, exists and expiresIn all agree an expired key is gone',
    );
    const replay = out.at(-2) ?? '';
    expect(replay).toMatch(
      /^replay: stores-conformance test\/fixtures\/broken\.ts --export makeBrokenStore --seed -?\d+( --case \S+)+$/,
    );
    expect(replay.split(' --case ')).toContain('expiry.uniform');
    expect(lastLine(run.stdout)).toMatch(/^\d+ passed, [1-9]\d* failed(, \d+ skipped)?$/);
  });

  it('shows capability skips and counts them in the summary', async ({ expect }) => {
    const run = await cli('test/fixtures/no-sweep.ts', '--grep', '^deleteExpired\\.');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^- namespace +deleteExpired\.counts \(skipped: capabilities\.deleteExpired is false\)$/m,
    );
    expect(lastLine(run.stdout)).toBe('0 passed, 0 failed, 3 skipped');
  });

  it('runs only the cases --case names, in the passes --pass names', async ({ expect }) => {
    const run = await cli(
      'test/reference-store.ts',
      '--case',
      'value.empty',
      '--case=key.long',
      '--pass',
      'root',
      '--pass',
      'nested',
    );
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      '✓ root             key.long',
      '✓ root             value.empty',
      '✓ nested namespace key.long',
      '✓ nested namespace value.empty',
      '4 passed, 0 failed',
    ]);
  });

  it('runs only the cases whose id or title --grep matches', async ({ expect }) => {
    const run = await cli('test/reference-store.ts', '--grep', '^expiresIn\\.', '--pass', 'root');
    const ran = cases.filter((c) => c.id.startsWith('expiresIn.'));
    expect(ran.length).toBeGreaterThan(1);
    expect(run.code).toBe(0);
    expect(lines(run.stdout).slice(0, -1)).toEqual(ran.map((c) => `✓ root             ${c.id}`));
  });

  it('exits 2 naming an unknown --case, a --grep that matches nothing and a bad --pass', async ({
    expect,
  }) => {
    const unknown = await cli('test/reference-store.ts', '--case', 'expiry.nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no case "expiry\.nope" \(did you mean expiry\.uniform, .*\?\)/);
    const nothing = await cli('test/reference-store.ts', '--grep', 'no such words');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--grep "no such words" matches no case/);
    const pass = await cli('test/reference-store.ts', '--pass', 'sideways');
    expect(pass.code).toBe(2);
    expect(pass.stderr).toMatch(/--pass must be root, namespace or nested, got "sideways"/);
    expect(unknown.stdout + nothing.stdout + pass.stdout).toBe('');
  });

  it('runs the model-based case with the --seed given, and names the seed it chose otherwise', async ({
    expect,
  }) => {
    const args = ['test/fixtures/model-broken.ts'];
    const model = ['--case', 'model.random-operations', '--pass', 'root'];
    const [first, again, unseeded] = await Promise.all([
      cli(...args, ...model, '--seed', '424242'),
      cli(...args, ...model, '--seed', '424242'),
      cli(...args, ...model),
    ]);
    expect(first.code).toBe(1);
    const failure = lines(first.stdout)[0] ?? '';
    expect(failure).toMatch(
      /^✗ root +model\.random-operations: .*\(fast-check seed 424242; replay with the seed option\)/,
    );
    // The same seed, the same operations and the same failure.
    expect(lines(again.stdout)[0]).toBe(failure);
    expect(first.stdout).toMatch(/^replay: .* --seed 424242 --case model\.random-operations$/m);
    // Without --seed the CLI picks one, runs with it and prints it for the replay.
    const chosen = /--seed (-?\d+)/.exec(unseeded.stdout)?.[1];
    expect(chosen).toBeDefined();
    expect(unseeded.stdout).toContain(`(fast-check seed ${chosen};`);
  });

  it('prints control characters escaped and byte arrays that hold text as text', async ({
    expect,
  }) => {
    const run = await cli(
      'test/fixtures/unreadable.ts',
      '--case',
      'value.overwrite',
      '--case',
      'value.views-and-buffers',
      '--pass',
      'root',
    );
    expect(run.code).toBe(1);
    // Nothing a terminal would act on reaches it, and every failure stays on its line.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const line = (id: string): string => lines(run.stdout).find((l) => l.includes(id)) ?? '';
    const [overwrite, views] = [line(' value.overwrite'), line(' value.views-and-buffers')];
    expect(overwrite).toMatch(
      /^✗ root +value\.overwrite: .*Uint8Array\(5\)\[119,114,111,110,103\] "wrong"/,
    );
    expect(views).toMatch(/^✗ root +value\.views-and-buffers: /);
    // The write error is wrapped by BaseStore; the recap shows its cause, escaped.
    expect(run.stdout).toContain('disk \\x1b[31mfull\\x1b[0m at a\\0b\\nsecond line');
  });

  it(
    'proves a shared store across processes when the module exports newHandle and openStore',
    { timeout: 150_000 },
    async ({ expect }) => {
      // Each case starts child processes that load TypeScript through tsx: slow on a busy machine.
      const only = ['--grep', '^shared\\.', '--pass', 'root', '--timeout-ms', '60000'];
      const run = await cli('test/fixtures/shared-remote.ts', ...only);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(lines(run.stdout)).toEqual([
        '✓ root             shared.increment-exact',
        '✓ root             shared.set-if-absent-one-winner',
        '2 passed, 0 failed',
      ]);
    },
  );

  it('runs without vitest installed', async ({ expect }) => {
    const hidden = ['--import', './test/fixtures/without-vitest.mjs', '--import', 'tsx'];
    const check = await node([...hidden, '--input-type=module', '-e', "await import('vitest')"]);
    expect(check.stderr).toMatch(/Cannot find package 'vitest'/);
    const run = await node([
      ...hidden,
      'src/cli.ts',
      'test/reference-store.ts',
      '--case',
      'value.empty',
    ]);
    expect(run.stderr).toBe('');
    expect(lastLine(run.stdout)).toBe('3 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('exits 2 when the module has no createStore export', async ({ expect }) => {
    const run = await cli('test/fixtures/no-factory.mjs');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has no function export "createStore" \(exports: somethingElse\)/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the module does not exist', async ({ expect }) => {
    const run = await cli('test/fixtures/nowhere.mjs');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot find module .*nowhere\.mjs/);
  });

  it('exits 2 for bad usage, and 0 for --help and --list', async ({ expect }) => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expected exactly one module path/);
    const badNumber = await cli('test/reference-store.ts', '--ttl-scale', 'fast');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--ttl-scale must be a number/);
    const badSeed = await cli('test/reference-store.ts', '--seed', '1.5');
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toMatch(/--seed must be an integer, got "1\.5"/);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stores-conformance <module>/);
    expect(help.stdout).toMatch(/--seed <n>/);
    const list = await cli('--list');
    expect(list.code).toBe(0);
    expect(lines(list.stdout)).toHaveLength(cases.length);
    expect(lines(list.stdout)[0]).toMatch(/^key\.adversarial-distinct +stores tricky keys/);
  });
});
