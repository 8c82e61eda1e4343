import { createServer } from 'node:net';

/** A loopback port nothing listens on right now (someone may take it before us: retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port from the kernel')),
      );
    });
  });
}

/**
 * Runs `start` on `port`, or on a fresh free port when absent, again while it fails with an
 * error `taken` recognises: other free ports up to 5 times, or the same port for about 2 s
 * (a restart must keep its port; a killed predecessor may hold it for a moment).
 */
export async function onFreePort<T>(
  port: number | undefined,
  start: (port: number) => Promise<T>,
  taken: (error: unknown) => boolean,
): Promise<T> {
  const attempts = port === undefined ? 5 : 20;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port ?? (await freePort()));
    } catch (error) {
      if (!taken(error) || attempt >= attempts) throw error;
      if (port !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
