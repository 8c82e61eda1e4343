import { connect } from 'node:net';

/**
 * Sends one command over a fresh TCP connection and resolves with its reply as text: a simple
 * string, an integer or a bulk string (`null` bulk -> ''). An error reply rejects. Enough RESP
 * for readiness checks, so the helpers need no client library.
 */
export function sendCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 5000,
): Promise<string> {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, reply = ''): void => {
      socket.destroy();
      if (error === undefined) resolve(reply);
      else reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`${args[0]} to ${host}:${port}: no reply in ${timeoutMs} ms`)),
    );
    socket.on('error', (error) => finish(error));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const lineEnd = received.indexOf('\r\n');
      if (lineEnd < 0) return;
      const type = String.fromCharCode(received[0] ?? 0);
      const line = received.subarray(1, lineEnd).toString();
      if (type === '-') return finish(new Error(`${args[0]} to ${host}:${port}: ${line}`));
      if (type !== '$') return finish(undefined, line);
      const length = Number(line);
      if (length < 0) return finish(undefined, '');
      const body = received.subarray(lineEnd + 2);
      if (body.length >= length + 2) finish(undefined, body.subarray(0, length).toString());
    });
    socket.write(parts.join(''));
  });
}
