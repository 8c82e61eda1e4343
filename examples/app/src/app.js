// The Example Pattern: one root store, a registry, and every integration resolving its store by
// name (`response_cache`, `sessions`, `rate_limit`), each in its own namespace of the root.
import { StoreRegistry } from '@stores/core';
import { SessionStore } from '@stores/express-session';
import { RateLimitStore } from '@stores/rate-limit/express';
import { ResponseCache } from '@stores/response-cache';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import session from 'express-session';
import { openRoot } from './root.js';

/** Builds the app on the root store `STORES_URL` names; resolves `{ app, registry, stopSweeping }`. */
export async function createApp(env = process.env) {
  const root = openRoot(env.STORES_URL, env.STORES_DATA_DIR);
  const registry = new StoreRegistry({ root }); // owns the root: registry.close() closes it
  const stopSweeping = await sweepExpired(root, 60_000);
  const cache = new ResponseCache({ registry, defaultExpiration: 5 });
  const limit = Number(env.RATE_LIMIT ?? 10);
  const windowMs = Number(env.RATE_WINDOW_MS ?? 1000);

  const app = express();
  // Which worker answered, when WORKERS > 1 (node:cluster shares the port between processes).
  app.use((_req, res, next) => {
    res.set('x-worker-pid', String(process.pid));
    next();
  });
  app.get('/', (_req, res) => res.json({ routes: ['/cached', '/session', '/limited'] }));
  app.get('/cached', cache.express(), (_req, res) => res.json({ at: new Date().toISOString() }));
  app.get(
    '/session',
    session({
      store: new SessionStore({ registry }),
      secret: env.SESSION_SECRET ?? 'change me',
      resave: false,
      saveUninitialized: false,
    }),
    (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1;
      res.json({ views: req.session.views });
    },
  );
  app.get(
    '/limited',
    rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-8',
      store: new RateLimitStore({ registry }),
    }),
    (_req, res) => res.json({ ok: true, pid: process.pid }),
  );
  return { app, registry, stopSweeping };
}

/**
 * Sweeps expired entries of a file or memory root now and every `intervalMs` (a deliberate
 * maintenance task: these backends keep expired bytes until swept; Redis and Valkey expire by
 * themselves, so nothing runs there). Resolves a function that stops the interval.
 */
async function sweepExpired(root, intervalMs) {
  // Every integration's store is a namespace of the root; sweeping the root reaches them all.
  const { deleteExpired, nativeExpiry } = root.capabilities;
  if (!deleteExpired || nativeExpiry) return () => {};
  const sweep = () =>
    root.deleteExpired().then(
      (removed) => removed > 0 && console.log(`swept ${removed} expired entries`),
      (error) => console.error('sweep failed:', error.message),
    );
  await sweep();
  const timer = setInterval(sweep, intervalMs).unref();
  return () => clearInterval(timer);
}
