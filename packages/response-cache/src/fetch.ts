import type { CacheRequest } from './cache-key.js';
import { CACHE_STATUS_HEADER, storedLines } from './cacheability.js';
import { replayedLength, type StoredResponse } from './envelope.js';
import type { ResponseSink, Serve } from './exchange.js';

/** A fetch-API handler: Hono's `app.fetch`, a Bun/Deno `fetch` export, an undici-style server. */
export type FetchHandler<A extends unknown[]> = (
  request: Request,
  ...args: A
) => Response | Promise<Response>;

/**
 * Hono middleware, typed structurally (a Hono `Context` has `req.raw` and a settable `res`) so
 * this package needs no Hono import.
 */
export type HonoMiddleware = (
  context: { req: { raw: Request }; res: Response },
  next: () => Promise<void>,
) => Promise<Response | undefined>;

/** `handler` behind the cache; other arguments (Hono's env and execution context) pass through. */
export function fetchHandler<A extends unknown[]>(
  serve: Serve,
  handler: FetchHandler<A>,
): (request: Request, ...args: A) => Promise<Response> {
  return (request, ...args) =>
    serve<Response>({
      request: fetchRequest(request),
      pass: () => handler(request, ...args),
      replay: (response) => replay(response, request.method),
      compute: (sink) => compute(() => handler(request, ...args), sink),
    });
}

/** The same as middleware: a hit answers without `next()`; a miss runs it and replaces `c.res`. */
export function honoMiddleware(serve: Serve): HonoMiddleware {
  return (context, next) => {
    const request = context.req.raw;
    return serve<Response | undefined>({
      request: fetchRequest(request),
      pass: async () => {
        await next();
        return undefined;
      },
      replay: (response) => replay(response, request.method),
      compute: async (sink) => {
        context.res = await compute(async () => {
          await next();
          return context.res;
        }, sink);
        return undefined;
      },
    });
  };
}

function fetchRequest(request: Request): CacheRequest {
  // WHATWG URL parsing already normalised the path; the fetch handler routes on the same URL.
  const url = new URL(request.url);
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    header: (name) => request.headers.get(name) ?? undefined,
  };
}

// A Response for these statuses must have a null body.
const NULL_BODY = new Set([204, 205, 304]);

function replay(response: StoredResponse, method: string): Response {
  // A plain record, which `Headers` would combine lines of one name into just the same way;
  // Hono's node server writes a record straight to the socket, without building `Headers`.
  const headers: Record<string, string> = Object.create(null); // a header may be named __proto__
  for (const [name, value] of response.headers) {
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}, ${value}`;
  }
  headers[CACHE_STATUS_HEADER] = 'HIT';
  const length = replayedLength(response);
  if (length !== undefined) headers['content-length'] = String(length);
  const empty = method === 'HEAD' || NULL_BODY.has(response.status);
  return new Response(empty ? null : response.body, { status: response.status, headers });
}

async function compute(
  run: () => Response | Promise<Response>,
  sink: ResponseSink | undefined,
): Promise<Response> {
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    sink?.finish(undefined);
    throw error;
  }
  if (sink === undefined || !sink.accepts(response.status, storedLines(response.headers))) {
    return marked(response.body, response);
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    sink.finish(undefined);
    throw error;
  }
  sink.finish(body);
  return marked(NULL_BODY.has(response.status) ? null : body, response);
}

function marked(body: ConstructorParameters<typeof Response>[0], response: Response): Response {
  // A network error (`Response.error()`, status 0) cannot be rebuilt; pass it on as it is.
  if (response.type === 'error') return response;
  const copy = new Response(body, response);
  copy.headers.set(CACHE_STATUS_HEADER, 'MISS');
  return copy;
}
