import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { type Context, Hono } from 'hono';
import type { CacheRouteOptions, ResponseCache } from '../../src/index.js';

/** What a test route's handler sees of the request, under every framework (from its own API). */
export interface Seen {
  readonly method: string;
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  header(name: string): string | undefined;
}

/** What a test route answers; a body given as an array is streamed chunk by chunk. */
export interface Output {
  status?: number;
  headers?: readonly (readonly [string, string])[];
  body?: string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
}

export interface Route {
  /** An exact path, or `*` for every path. */
  readonly path: string;
  readonly handler: (seen: Seen) => Output | Promise<Output>;
  readonly options?: CacheRouteOptions;
}

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** A host library serving test routes behind a ResponseCache, each in its own native way. */
export interface Framework {
  readonly name: string;
  start(cache: ResponseCache, routes: readonly Route[]): Promise<RunningApp>;
}

function chunksOf(body: Output['body']): readonly (string | Uint8Array)[] | undefined {
  return Array.isArray(body) ? body : undefined;
}

/** Express 5: `app.all(path, cache.express(options), handler)`; single bodies go through `res.send`. */
export const expressFramework: Framework = {
  name: 'express',
  async start(cache, routes) {
    const app = express();
    for (const route of routes) {
      const path = route.path === '*' ? '/{*rest}' : route.path;
      app.all(path, cache.express(route.options), async (req, res) => {
        const question = req.originalUrl.indexOf('?');
        const out = await route.handler({
          method: req.method,
          path: req.path,
          query: question === -1 ? '' : req.originalUrl.slice(question + 1),
          header: (name) => req.get(name),
        });
        res.status(out.status ?? 200);
        for (const [name, value] of out.headers ?? []) res.append(name, value);
        const chunks = chunksOf(out.body);
        if (chunks === undefined) {
          res.send(out.body);
          return;
        }
        for (const chunk of chunks) res.write(chunk);
        res.end();
      });
    }
    return listening(app.listen(0, '127.0.0.1'));
  },
};

const NULL_BODY = new Set([204, 205, 304]);

function toResponse(out: Output): Response {
  const headers = new Headers();
  for (const [name, value] of out.headers ?? []) headers.append(name, value);
  const status = out.status ?? 200;
  const chunks = chunksOf(out.body);
  const encoder = new TextEncoder();
  const body =
    NULL_BODY.has(status) || out.body === undefined
      ? null
      : chunks === undefined
        ? (out.body as string | Uint8Array)
        : new ReadableStream<Uint8Array>({
            start(controller) {
              for (const chunk of chunks) {
                controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
              }
              controller.close();
            },
          });
  return new Response(body, { status, headers });
}

function honoApp(routes: readonly Route[], cache?: ResponseCache): Hono {
  const app = new Hono();
  for (const route of routes) {
    const handler = async (c: Context): Promise<Response> =>
      toResponse(
        await route.handler({
          method: c.req.method,
          path: c.req.path,
          query: new URL(c.req.url).search.slice(1),
          header: (name) => c.req.header(name),
        }),
      );
    if (cache === undefined) app.all(route.path, handler);
    else app.all(route.path, cache.hono(route.options), handler);
  }
  return app;
}

/**
 * Hono on its node server behind the fetch wrapper: `serve({ fetch: cache.fetch(app.fetch) })`,
 * one wrapped app per route, so that each route has its own options.
 */
export const honoFetchFramework: Framework = {
  name: 'hono fetch()',
  start(cache, routes) {
    const wrapped = routes.map((route) => ({
      route,
      fetch: cache.fetch(honoApp([route]).fetch, route.options),
    }));
    return listeningHono(async (request, env) => {
      const path = new URL(request.url).pathname;
      const match = wrapped.find(({ route }) => route.path === '*' || route.path === path);
      return match === undefined
        ? new Response('no route', { status: 404 })
        : match.fetch(request, env);
    });
  },
};

/** Hono middleware: `app.all(path, cache.hono(options), handler)`. */
export const honoMiddlewareFramework: Framework = {
  name: 'hono middleware',
  start(cache, routes) {
    return listeningHono(honoApp(routes, cache).fetch);
  },
};

/** Hono's node server on a free port, serving `fetch`. */
export function listeningHono(fetch: Parameters<typeof serve>[0]['fetch']): Promise<RunningApp> {
  return listening(serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server);
}

/** Resolves when `server` listens; `close()` also ends its keep-alive connections. */
export function listening(server: Server): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    };
    if (server.listening) ready();
    else server.once('listening', ready).once('error', reject);
  });
}
