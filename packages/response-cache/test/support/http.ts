import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** What the client received: status, parsed and raw header lines, the body's exact bytes. */
export interface Received {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** `[name, value]` per header line as sent, in order (names lower-cased). */
  readonly lines: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly text: string;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
}

// Keep-alive, as a browser or a proxy talks to the server; node:http rather than fetch, to see
// every header line as sent and to make HEAD and redirects plain (nothing followed).
const agent = new Agent({ keepAlive: true });

/** One HTTP request over a real socket. */
export function request(url: string, init: RequestInit = {}): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = res.rawHeaders;
          const lines: [string, string][] = [];
          for (let at = 0; at < raw.length; at += 2) {
            lines.push([(raw[at] ?? '').toLowerCase(), raw[at + 1] ?? '']);
          }
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            lines,
            body,
            text: body.toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `condition` holds, polling (for effects the cache completes after replying). */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the condition did not come true within 10 s');
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
