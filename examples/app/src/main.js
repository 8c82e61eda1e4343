// `pnpm example`: the app on PORT (default 3000); WORKERS=n runs n processes (node:cluster)
// sharing one port and one root store. SIGTERM or Ctrl-C (SIGINT): stop accepting, finish the
// requests under way, close the registry (and so the root store), exit 0.
import cluster from 'node:cluster';
import { createApp } from './app.js';

const SIGNALS = ['SIGTERM', 'SIGINT'];
const workers = Number(process.env.WORKERS ?? 1);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // The primary holds nothing else: it exits by itself once every worker has.
  const stopWorkers = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  for (const signal of SIGNALS) process.once(signal, stopWorkers);
} else {
  const { app, registry, stopSweeping } = await createApp();
  const server = app.listen(Number(process.env.PORT ?? 3000), () => {
    const { port } = server.address();
    console.log(
      `listening on http://localhost:${port} (pid ${process.pid}): /cached /session /limited`,
    );
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return; // Ctrl-C reaches a worker and, through the primary, SIGTERM too
    stopping = true;
    stopSweeping();
    // Nothing is left open after this, so the process exits by itself (code 0); a cluster
    // worker also lets go of its channel to the primary.
    server.close(() => registry.close().then(() => cluster.worker?.disconnect()));
    server.closeIdleConnections();
  };
  for (const signal of SIGNALS) process.once(signal, stop);
}
