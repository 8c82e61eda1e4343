import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** An app listening on a free loopback port. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1, port 0. */
export function listen(app: Express): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error !== undefined) return reject(error);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
