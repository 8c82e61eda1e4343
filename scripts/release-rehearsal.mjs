#!/usr/bin/env node
// `pnpm release:rehearse`: a publish rehearsal in a scratch copy of the working tree, leaving
// the tree itself untouched. It
//   1. checks the version plan of the pending changesets: no package may get a bigger bump than
//      its own changesets ask (changesets turns a peer dependency's bump into a major), and a
//      minor of every package next time must not force a major either;
//   2. applies them (`changeset version`) and `pnpm pack`s every public package;
//   3. installs the tarballs into a fresh npm project outside the workspace, with the
//      third-party packages the READMEs' install lines name, and checks that no `workspace:`
//      range is left and that `npm ls --all` is clean (peer ranges satisfiable together);
//   4. runs each package's README quick start there, verbatim: the fenced js block after a
//      `<!-- quick-start -->` line (ts blocks run with tsx). `<!-- quick-start: needs a Redis
//      server at REDIS_URL -->` runs it with a server of its own in that variable; any other
//      `needs …` is listed, not run; a README without a marked block is reported, not failed.
//      (scripts/README.md has the rules.) It also runs the `stores-conformance` CLI there,
//      which must work without vitest.
// Needs the packages built (it builds them unless --no-build) and the npm registry for the
// third-party packages. Ends with `N passed, M failed, K skipped` over its checks.
//
// Usage: node scripts/release-rehearsal.mjs [--no-build] [--keep]   (--keep: leave the copy)
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { importedPackages, installPackages, quickStart } from './lib/readme.mjs';
import { closingLine, indent, ROOT, run, say, since } from './lib/run.mjs';
import { runTurboStep } from './lib/turbo.mjs';

const QUICK_START_TIMEOUT_MS = 30_000;
const BUMPS = ['none', 'patch', 'minor', 'major'];

const { values } = parseArgs({
  options: {
    'no-build': { type: 'boolean' },
    keep: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  say('Usage: node scripts/release-rehearsal.mjs [--no-build] [--keep]');
  say('A publish rehearsal in a scratch copy (see the top of this file); --keep leaves the copy.');
  process.exit(0);
}
const totals = { passed: 0, failed: 0, skipped: 0 };
const started = performance.now();

/** One check's line: `✓` (passed), `✗` (failed, with `log` below) or `-` (skipped). */
function report(status, text, log) {
  const mark = { passed: '✓', failed: '✗', skipped: '-' }[status];
  totals[status]++;
  say(`${mark} ${text}`);
  if (log !== undefined && log.trim() !== '') say(indent(log));
}

/** Runs a command that must succeed; on failure reports it and ends the rehearsal. */
async function must(what, command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    report(
      'failed',
      `${what}: \`${command} ${args.join(' ')}\` exited ${result.code}`,
      result.output,
    );
    finish();
  }
  return result;
}

function finish() {
  if (values.keep) say(`(kept ${scratch})`);
  else rmSync(scratch, { recursive: true, force: true });
  say(`rehearsal done in ${since(started)}`);
  say(closingLine(totals));
  process.exit(totals.failed > 0 ? 1 : 0);
}

/** The public packages of the workspace: `{ name, dir, manifest }`, in directory order. */
function publicPackages(repo) {
  return readdirSync(join(repo, 'packages'))
    .sort()
    .map((dir) => ({ dir: join(repo, 'packages', dir) }))
    .filter(({ dir }) => existsSync(join(dir, 'package.json')))
    .map(({ dir }) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, dir, manifest }));
}

/** The release plan of the pending changesets in `repo` (`changeset status --output`). */
async function releasePlan(repo, what) {
  const file = join(scratch, `${what}.json`);
  await must(`${what}: changeset status`, changeset, ['status', `--output=${file}`], { cwd: repo });
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Releases bumped more than their own changesets ask (a dependency bump is at most patch). */
function overBumped(plan) {
  const asked = new Map();
  for (const cs of plan.changesets) {
    for (const r of cs.releases) {
      asked.set(
        r.name,
        BUMPS[Math.max(BUMPS.indexOf(asked.get(r.name) ?? 'none'), BUMPS.indexOf(r.type))],
      );
    }
  }
  return plan.releases
    .filter((r) => BUMPS.indexOf(r.type) > BUMPS.indexOf(asked.get(r.name) ?? 'patch'))
    .map((r) => ({ ...r, asked: asked.get(r.name) ?? 'none (a dependency changed)' }));
}

function describeOverBumps(bumps) {
  return bumps
    .map(
      (r) =>
        `${r.name} ${r.oldVersion} → ${r.newVersion} is a ${r.type} bump, its changesets ask ${r.asked}`,
    )
    .join('\n');
}

/**
 * The server a marker such as `needs a Redis server at REDIS_URL` asks for: `{ kind, variable }`,
 * or undefined when the need is something the rehearsal cannot provide.
 */
function serverNeed(needs) {
  const match = /\b(redis|valkey) server at ([A-Z][A-Z0-9_]*)/i.exec(needs);
  return match === null ? undefined : { kind: match[1].toLowerCase(), variable: match[2] };
}

/** A server of `kind` of our own (container or local binary): `{ url, stop }` or `{ why }`. */
async function startServer(kind) {
  const servers = join(ROOT, 'packages', 'conformance', 'dist', 'servers', 'index.js');
  const { startTestServer } = await import(pathToFileURL(servers).href);
  const warn = console.warn;
  let why = '';
  // Its "no server" warning is the reason for the skip line, not a message of its own.
  console.warn = (message) => {
    why = String(message).split('\n').slice(1).join('; ').replace(/\s+/g, ' ').trim();
  };
  try {
    const server = await startTestServer(kind, { owned: true });
    return server === undefined ? { why } : { url: server.url, stop: () => server.stop() };
  } finally {
    console.warn = warn;
  }
}

if (!values['no-build']) {
  say('build');
  const build = await runTurboStep('build', { args: ['--filter=./packages/*'] });
  if (build.failed.length > 0) {
    say(closingLine({ passed: 0, failed: build.failed.length, skipped: 0 }));
    process.exit(1);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'stores-rehearsal-'));
const repo = join(scratch, 'repo');
const changeset = join(repo, 'node_modules', '.bin', 'changeset');

// 1. A copy of the working tree as it is (uncommitted work included), with the built dist/.
const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
for (const file of listed.output.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)))) {
  mkdirSync(dirname(join(repo, file)), { recursive: true });
  cpSync(join(ROOT, file), join(repo, file));
}
const packages = publicPackages(repo);
const unbuilt = packages.filter((p) => !existsSync(join(p.dir.replace(repo, ROOT), 'dist')));
if (unbuilt.length > 0) {
  report('failed', `not built: ${unbuilt.map((p) => p.name).join(', ')} (run pnpm build)`);
  finish();
}
for (const p of packages)
  cpSync(join(p.dir.replace(repo, ROOT), 'dist'), join(p.dir, 'dist'), { recursive: true });
// changesets reads git: the copy is a repository of one commit on the base branch.
const git = [
  '-c',
  'user.name=rehearsal',
  '-c',
  'user.email=rehearsal@localhost',
  '-c',
  'commit.gpgsign=false',
];
await must('git init the copy', 'git', ['init', '-q', '-b', 'main'], { cwd: repo });
await must('git add the copy', 'git', ['add', '-A'], { cwd: repo });
await must(
  'git commit the copy',
  'git',
  [...git, 'commit', '-q', '--no-verify', '-m', 'rehearsal'],
  { cwd: repo },
);
// Links the copy's packages to each other, which is what `pnpm pack` reads `workspace:` from.
await must(
  'install the copy',
  'pnpm',
  ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'],
  {
    cwd: repo,
  },
);

// 2. The version plan, then the versions.
const plan = await releasePlan(repo, 'plan');
const forced = overBumped(plan);
if (forced.length > 0)
  report(
    'failed',
    'version plan: a bump bigger than its changesets ask',
    describeOverBumps(forced),
  );
else
  report(
    'passed',
    `version plan: ${plan.releases.filter((r) => r.type !== 'none').length} packages, each bumped as its changesets ask`,
  );
await must('changeset version', changeset, ['version'], { cwd: repo });
const versioned = publicPackages(repo);

// Next time: a minor of every public package at once must not force any major.
writeFileSync(
  join(repo, '.changeset', 'rehearsal-next-minor.md'),
  `---\n${versioned.map((p) => `"${p.name}": minor`).join('\n')}\n---\n\nRehearsal only.\n`,
);
const next = overBumped(await releasePlan(repo, 'next'));
rmSync(join(repo, '.changeset', 'rehearsal-next-minor.md'));
if (next.length > 0)
  report(
    'failed',
    'bump policy: a minor of every package next time forces a bigger bump',
    describeOverBumps(next),
  );
else report('passed', 'bump policy: a minor of every package next time forces no major');

// 3. Pack, and install the tarballs outside the workspace.
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
await Promise.all(
  versioned.map((p) =>
    must(`pack ${p.name}`, 'pnpm', ['pack', '--pack-destination', tarballs], { cwd: p.dir }),
  ),
);
const leftovers = [];
for (const p of versioned) {
  const file = `${p.name.replace('@', '').replace('/', '-')}-${p.manifest.version}.tgz`;
  p.tarball = join(tarballs, file);
  const unpacked = join(tarballs, file.replace(/\.tgz$/, ''));
  mkdirSync(unpacked);
  await must(`unpack ${file}`, 'tar', ['-xzf', p.tarball, '-C', unpacked, 'package/package.json']);
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'));
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'devDependencies',
  ]) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:'))
        leftovers.push(`${p.name} ${field}.${dep}: ${range}`);
    }
  }
}
if (leftovers.length > 0)
  report('failed', 'packed manifests still hold workspace: ranges', leftovers.join('\n'));
else report('passed', `packed ${versioned.length} packages, no workspace: range left`);

const app = join(scratch, 'app');
mkdirSync(app);
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'rehearsal', private: true, type: 'module' }, null, 2)}\n`,
);
const readmes = new Map();
const thirdParty = new Map();
for (const p of versioned) {
  const file = join(p.dir, 'README.md');
  const markdown = existsSync(file) ? readFileSync(file, 'utf8') : '';
  let start;
  try {
    start = quickStart(markdown);
  } catch (error) {
    start = { error: error.message };
  }
  const install = installPackages(markdown);
  readmes.set(p.name, { start, install });
  if (start?.code === undefined || start.needs !== undefined) continue;
  for (const { name, spec } of install)
    if (!name.startsWith('@stores/')) thirdParty.set(name, spec);
}
const installStarted = performance.now();
const installed = await run(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...versioned.map((p) => p.tarball),
    ...thirdParty.values(),
  ],
  { cwd: app },
);
if (installed.code !== 0) {
  report(
    'failed',
    `npm install of the tarballs${thirdParty.size > 0 ? ` and ${[...thirdParty.keys()].join(', ')}` : ''}`,
    installed.output,
  );
  finish();
}
report(
  'passed',
  `npm install of ${versioned.length} tarballs${thirdParty.size > 0 ? ` and ${[...thirdParty.keys()].join(', ')}` : ''} in a fresh project (${since(installStarted)})`,
);
const ls = await run('npm', ['ls', '--all'], { cwd: app });
if (ls.code !== 0) {
  const problems = ls.output
    .split('\n')
    .filter((line) => /invalid|missing|UNMET|ERR|extraneous/i.test(line));
  report(
    'failed',
    'npm ls --all: the installed tree has problems',
    problems.join('\n') || ls.output,
  );
} else {
  report('passed', 'npm ls --all is clean (every peer range satisfied)');
}

// The CLI of @stores/conformance needs no vitest, and vitest is only an optional peer.
if (
  versioned.some((p) => p.name === '@stores/conformance') &&
  versioned.some((p) => p.name === '@stores/memory')
) {
  writeFileSync(
    join(app, 'cli-store.mjs'),
    "import { MemoryStore } from '@stores/memory';\n\nexport const createStore = () => new MemoryStore();\n",
  );
  const cli = await run(
    join(app, 'node_modules', '.bin', 'stores-conformance'),
    ['cli-store.mjs'],
    {
      cwd: app,
      timeoutMs: 120_000,
    },
  );
  const last = cli.output.trimEnd().split('\n').at(-1);
  if (existsSync(join(app, 'node_modules', 'vitest'))) {
    report('failed', 'stores-conformance without vitest: npm installed vitest, a required peer');
  } else if (cli.code !== 0) {
    report(
      'failed',
      `stores-conformance without vitest, on MemoryStore: exited ${cli.code}`,
      cli.output,
    );
  } else {
    report('passed', `stores-conformance without vitest, on MemoryStore: ${last}`);
  }
}

// 4. The quick starts, verbatim.
const tsx = join(
  dirname(
    createRequire(join(ROOT, 'packages/conformance/package.json')).resolve('tsx/package.json'),
  ),
  'dist',
  'loader.mjs',
);
for (const p of versioned) {
  const { start, install } = readmes.get(p.name);
  const label = `${p.name}@${p.manifest.version} quick start`;
  if (start === undefined) {
    report('skipped', `${label}: none marked (put <!-- quick-start --> before the Usage block)`);
    continue;
  }
  if (start.error !== undefined) {
    report('failed', `${label}: ${start.error}`);
    continue;
  }
  const server = start.needs === undefined ? undefined : serverNeed(start.needs);
  if (start.needs !== undefined && server === undefined) {
    report('skipped', `${label}: not run, needs ${start.needs}`);
    continue;
  }
  const named = new Set(install.map((i) => i.name));
  const unnamed = importedPackages(start.code).filter((name) => !named.has(name));
  if (unnamed.length > 0) {
    report(
      'failed',
      `${label}: imports ${unnamed.join(', ')}, which the README's install line does not name`,
    );
    continue;
  }
  const file = join(
    app,
    `quick-start-${p.name.replace(/\W+/g, '-').replace(/^-/, '')}.${start.lang === 'ts' ? 'ts' : 'mjs'}`,
  );
  writeFileSync(file, start.code);
  const args = start.lang === 'ts' ? ['--import', pathToFileURL(tsx).href, file] : [file];
  const ran = performance.now();
  let env = {};
  let stop = async () => {};
  if (server !== undefined) {
    const started = await startServer(server.kind);
    if (started.url === undefined) {
      report('skipped', `${label}: not run, needs ${start.needs}: ${started.why}`);
      continue;
    }
    env = { [server.variable]: started.url };
    stop = started.stop;
  }
  const result = await run(process.execPath, args, {
    cwd: app,
    env,
    timeoutMs: QUICK_START_TIMEOUT_MS,
  });
  await stop();
  if (result.timedOut) {
    report(
      'failed',
      `${label}: still running after ${QUICK_START_TIMEOUT_MS / 1000} s (does it close what it opened?)`,
      result.output,
    );
  } else if (result.code !== 0) {
    report('failed', `${label}: exited ${result.code} (README line ${start.line})`, result.output);
  } else {
    const where = server === undefined ? '' : `, ${server.variable} set to a fresh server`;
    report('passed', `${label} ran (${since(ran)}${where})`);
  }
}
finish();
