import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { onPath } from '../src/servers/binary.js';
import { containerRuntimeProblem } from '../src/servers/containers.js';
import {
  type ServerKind,
  startTestCluster,
  startTestServer,
  type TestServer,
} from '../src/servers/index.js';
import { sendCommand } from '../src/servers/resp.js';

// Containers start in well under a second here, but a cold Docker may need a while.
const TIMEOUT_MS = 60_000;
const KINDS: readonly ServerKind[] = ['redis', 'valkey'];
const REQUIRED = process.env.STORES_REQUIRE_SERVERS === '1';
const containersAvailable = (await containerRuntimeProblem()) === undefined;
const binaryAvailable: Record<ServerKind, boolean> = {
  redis: await onPath('redis-server'),
  valkey: await onPath('valkey-server'),
};

/** Sends a raw RESP PING and resolves with the first reply line, or rejects if none comes. */
function ping(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply to PING')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.slice(0, reply.indexOf('\r\n')));
      }
    });
    socket.write('*1\r\n$4\r\nPING\r\n');
  });
}

// Each test sets the env it needs; put everything back so tests stay independent.
const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of ['STORES_TEST_SERVERS', 'STORES_REDIS_URL', 'STORES_VALKEY_URL']) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

const started: TestServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function start(kind: ServerKind, options?: { owned?: boolean }): Promise<TestServer> {
  const server = await startTestServer(kind, options);
  if (server === undefined) throw new Error(`no ${kind} server`);
  started.push(server);
  return server;
}

describe.each(KINDS)('startTestServer(%s)', (kind) => {
  for (const way of ['binary', 'containers'] as const) {
    if ((way === 'binary' ? binaryAvailable[kind] : containersAvailable) || REQUIRED) {
      it(
        `forced to ${way}, answers PING, dies on kill and comes back on the same port`,
        async () => {
          process.env.STORES_TEST_SERVERS = way;
          const server = await start(kind);
          expect(server).toMatchObject({ kind, via: way });
          expect(server.url).toBe(`redis://${server.host}:${server.port}`);
          expect(await ping(server.host, server.port)).toBe('+PONG');
          expect(await sendCommand(server.host, server.port, ['INFO', 'server'])).toContain(
            `${kind}_version:`,
          );

          await sendCommand(server.host, server.port, ['SET', 'servers-test-restart', 'v']);
          await server.kill();
          await expect(ping(server.host, server.port)).rejects.toThrow();
          await server.restart();
          expect(await ping(server.host, server.port)).toBe('+PONG');
          // No persistence: a restarted server starts empty.
          expect(
            await sendCommand(server.host, server.port, ['EXISTS', 'servers-test-restart']),
          ).toBe('0');

          await server.stop();
          await expect(ping(server.host, server.port)).rejects.toThrow();
          await server.stop();
        },
        TIMEOUT_MS,
      );
    } else {
      it(`forced to ${way} where it is unavailable, rejects instead of falling back`, async () => {
        process.env.STORES_TEST_SERVERS = way;
        await expect(startTestServer(kind)).rejects.toThrow(`STORES_TEST_SERVERS=${way}`);
      });
    }
  }

  it('binds spawned servers to 127.0.0.1 only', async () => {
    process.env.STORES_TEST_SERVERS = 'binary';
    const server = await start(kind);
    // CONFIG GET replies with an array (name, value), so read it through the raw protocol.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: server.host, port: server.port });
      let text = '';
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (text.split('\r\n').length >= 6) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.write('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nbind\r\n');
    });
    expect(reply.split('\r\n')[4]).toBe('127.0.0.1');
  });

  it(
    'fails a restart while another process holds its port, then succeeds once it is free',
    async () => {
      process.env.STORES_TEST_SERVERS = 'binary';
      const server = await start(kind);
      await server.kill();
      const squatter = createServer();
      await new Promise<void>((resolve) => squatter.listen(server.port, '127.0.0.1', resolve));
      try {
        await expect(server.restart()).rejects.toThrow('Address already in use');
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      await server.restart();
      expect(await ping(server.host, server.port)).toBe('+PONG');
    },
    TIMEOUT_MS,
  );

  it(
    'hands out STORES_*_URL as a shared server that stop() leaves running',
    async () => {
      process.env.STORES_TEST_SERVERS = binaryAvailable[kind] ? 'binary' : 'containers';
      const real = await start(kind, { owned: true });
      delete process.env.STORES_TEST_SERVERS;
      const variable = kind === 'redis' ? 'STORES_REDIS_URL' : 'STORES_VALKEY_URL';
      process.env[variable] = real.url;

      const shared = await start(kind);
      expect(shared).toMatchObject({ kind, via: 'env', url: real.url, port: real.port });
      await shared.stop();
      expect(await ping(shared.host, shared.port)).toBe('+PONG');
      await expect(shared.kill()).rejects.toThrow('owned: true');
      await expect(shared.restart()).rejects.toThrow('owned: true');

      const owned = await start(kind, { owned: true });
      expect(owned.via).not.toBe('env');
      expect(owned.port).not.toBe(real.port);
    },
    TIMEOUT_MS,
  );

  it('rejects a forced way it does not know', async () => {
    process.env.STORES_TEST_SERVERS = 'docker';
    await expect(startTestServer(kind)).rejects.toThrow("not 'docker'");
  });
});

describe.each(KINDS)('startTestCluster(%s)', (kind) => {
  it(
    'joins 3 masters that all report cluster_state:ok and serve every slot',
    async () => {
      const cluster = await startTestCluster(kind);
      if (cluster === undefined) throw new Error(`no ${kind} cluster`);
      try {
        expect(cluster.kind).toBe(kind);
        expect(cluster.nodes).toHaveLength(3);
        for (const { host, port } of cluster.nodes) {
          expect(host).toBe('127.0.0.1');
          const info = await sendCommand(host, port, ['CLUSTER', 'INFO']);
          expect(info).toContain('cluster_state:ok');
          expect(info).toContain('cluster_slots_assigned:16384');
          expect(info).toContain('cluster_known_nodes:3');
        }
      } finally {
        await cluster.stop();
      }
      for (const { host, port } of cluster.nodes) {
        await expect(ping(host, port)).rejects.toThrow();
      }
      await cluster.stop();
    },
    TIMEOUT_MS,
  );

  it('refuses fewer than 3 masters', async () => {
    await expect(startTestCluster(kind, { masters: 2 })).rejects.toThrow(RangeError);
  });
});
