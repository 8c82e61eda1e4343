import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isUint8Array } from '@stores/core';
import type { CacheRequest } from './cache-key.js';
import { CACHE_STATUS_HEADER, storedLines } from './cacheability.js';
import { type HeaderLine, replayedLength, type StoredResponse } from './envelope.js';
import type { ResponseSink, Serve } from './exchange.js';

/**
 * Express/Connect middleware; typed on `node:http` so it fits Express, Connect and a bare
 * `http.Server` handler alike (Express adds `originalUrl`, which it prefers to `url`).
 */
export type ExpressMiddleware = (
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The middleware that answers a request from the cache or lets it through and collects the response. */
export function expressMiddleware(serve: Serve): ExpressMiddleware {
  return (req, res, next) => {
    serve<void>({
      request: expressRequest(req),
      pass: () => next(),
      replay: (response) => replay(res, response),
      compute: (sink) => {
        res.setHeader(CACHE_STATUS_HEADER, 'MISS');
        if (sink !== undefined) collect(res, sink);
        next();
      },
    }).catch(next);
  };
}

function expressRequest(req: IncomingMessage & { originalUrl?: string }): CacheRequest {
  // The target as received: Express routes on it undecoded and unnormalised, so the key must too.
  const target = req.originalUrl ?? req.url ?? '/';
  const question = target.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: question === -1 ? target : target.slice(0, question),
    query: question === -1 ? '' : target.slice(question + 1),
    header(name) {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function replay(res: ServerResponse, response: StoredResponse): void {
  res.statusCode = response.status;
  for (const [name, values] of grouped(response.headers)) {
    res.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
  }
  res.setHeader(CACHE_STATUS_HEADER, 'HIT');
  const length = replayedLength(response);
  if (length !== undefined) res.setHeader('content-length', length);
  // Node sends no body for HEAD by itself.
  res.end(response.body);
}

function grouped(lines: readonly HeaderLine[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of lines) {
    const values = byName.get(name);
    if (values === undefined) byName.set(name, [value]);
    else values.push(value);
  }
  return byName;
}

/**
 * Tees what the handler sends into `sink`: the status and headers when the head is written
 * (an explicit `writeHead` or the implicit one of the first `write`/`end`), every chunk of
 * `write` and `end` (strings in their encoding), and the end. The response streams on unchanged.
 * What is collected is the response as the handler made it, before middleware mounted ahead of
 * the cache changes it on its way out (`compression` encodes the body and sets
 * `Content-Encoding`): a replay passes through that middleware again.
 */
function collect(res: ServerResponse, sink: ResponseSink): void {
  const { writeHead, write, end } = res;
  const chunks: Buffer[] = [];
  let collecting = true;
  let headWritten = false;
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (!collecting || (typeof chunk !== 'string' && !isUint8Array(chunk))) return;
    chunks.push(bufferOf(chunk, encoding));
  };
  res.writeHead = function (this: ServerResponse, status: unknown, ...rest: unknown[]) {
    const reason = typeof rest[0] === 'string' ? [rest[0]] : [];
    const headers = mergeHeaders(this, rest[reason.length]);
    if (!headWritten) {
      headWritten = true;
      const code = typeof status === 'number' ? status : this.statusCode;
      collecting = sink.accepts(code, storedLines(linesOf(this.getHeaders())));
    }
    return Reflect.apply(writeHead, this, [status, ...reason, ...headers]) as ServerResponse;
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    const written = Reflect.apply(write, this, args) as boolean;
    keep(args[0], args[1]);
    return written;
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const alreadyEnded = this.writableEnded;
    const result = Reflect.apply(end, this, args) as ServerResponse;
    if (!alreadyEnded) {
      keep(args[0], args[1]);
      sink.finish(collecting ? Buffer.concat(chunks) : undefined);
    }
    return result;
  } as ServerResponse['end'];
  // A response that never ends (the client went away mid-stream) is not stored, and frees
  // requests waiting for it; after a normal end this is a no-op.
  res.once('close', () => sink.finish(undefined));
}

/**
 * Sets the headers given to `writeHead` on the response, as Node merges them (an object sets
 * each; a flat `[name, value, ...]` list replaces those names with its lines), so that the head
 * is complete before it is written. Returns what is left to hand on: nothing, or a list Node
 * must reject itself (an odd length).
 */
function mergeHeaders(res: ServerResponse, headers: unknown): unknown[] {
  if (Array.isArray(headers)) {
    if (headers.length % 2 !== 0) return [headers];
    for (let at = 0; at < headers.length; at += 2) res.removeHeader(String(headers[at]));
    for (let at = 0; at < headers.length; at += 2) {
      res.appendHeader(String(headers[at]), headers[at + 1] as string | string[]);
    }
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) res.setHeader(name, value as string | string[] | number);
    }
  }
  return [];
}

function bufferOf(chunk: string | Uint8Array, encoding: unknown): Buffer {
  if (typeof chunk !== 'string') return Buffer.from(chunk);
  return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function* linesOf(headers: OutgoingHttpHeaders): Iterable<[string, string]> {
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) yield [name, item];
    else yield [name, String(value)];
  }
}
