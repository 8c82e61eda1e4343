// scripts/podman-teardown.sh removes what this project's podman service started, and leaves
// every other Testcontainers container on the host alone. Real podman, real Testcontainers.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../lib/run.mjs';

const IMAGE = 'docker.io/library/redis:7.0.15';
const testcontainers = createRequire(join(ROOT, 'packages/conformance/package.json')).resolve(
  'testcontainers',
);

// Not the podman setup this run may itself be under (CI's): each command gets its own.
const { CONTAINERS_CONF: _conf, DOCKER_HOST: _host, ...base } = process.env;

function sh(command, args, env = {}) {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env: { ...base, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        error === null ? done({ stdout, stderr }) : fail(Object.assign(error, { stdout, stderr })),
    );
  });
}

const exists = (id) =>
  sh('podman', ['container', 'exists', id]).then(
    () => true,
    () => false,
  );

let podman = true;
try {
  execFileSync('podman', ['--version'], { stdio: 'ignore' });
} catch {
  podman = false;
}
if (!podman) {
  const message =
    'scripts/test/podman.test.mjs: podman is not installed (scripts/ci-servers.sh installs it)';
  if (process.env.STORES_REQUIRE_SERVERS === '1')
    throw new Error(`${message}; STORES_REQUIRE_SERVERS=1 forbids skipping`);
  console.warn(`${message}: skipping`);
}

const dir = mkdtempSync(join(tmpdir(), 'stores-podman-test-'));
const created = [];
afterAll(async () => {
  await sh('bash', ['scripts/podman-teardown.sh'], { STORES_PODMAN_DIR: dir }).catch(() => {});
  if (created.length > 0)
    await sh('podman', ['rm', '--force', '--ignore', '--time', '0', ...created]).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!podman)('scripts/podman-teardown.sh', { timeout: 120_000 }, () => {
  it("removes the containers this project's service started, and not a foreign Testcontainers container", async () => {
    const setup = await sh('bash', ['scripts/podman-setup.sh'], { STORES_PODMAN_DIR: dir });
    const env = Object.fromEntries(
      [...setup.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
    );
    expect(env.DOCKER_HOST).toBe(`unix://${dir}/podman.sock`);

    // Another project's container: Testcontainers' label, not created through our service.
    const foreign = (
      await sh('podman', ['create', '--label', 'org.testcontainers=true', IMAGE])
    ).stdout.trim();
    created.push(foreign);

    // Ours: started by Testcontainers through our service by a run that then died.
    const leak = `
      const { GenericContainer, Wait } = require(${JSON.stringify(testcontainers)});
      new GenericContainer(${JSON.stringify(IMAGE)})
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
        .start()
        .then((c) => { console.log(c.getId()); process.exit(0); });`;
    const ours = (await sh(process.execPath, ['-e', leak], env)).stdout.trim().split('\n').at(-1);
    created.push(ours);
    expect(await exists(ours)).toBe(true);

    const teardown = await sh('bash', ['scripts/podman-teardown.sh'], { STORES_PODMAN_DIR: dir });
    expect(await exists(ours)).toBe(false);
    expect(await exists(foreign)).toBe(true);
    expect(teardown.stderr).toMatch(/removed 1 container\(s\) of session stores-/);
    expect(teardown.stderr).toMatch(/stopped the service/);
  });
});
