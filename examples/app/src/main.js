// `pnpm example`: the app on PORT (default 3000); WORKERS=n runs n processes (node:cluster)
// sharing one port and one root store. SIGTERM: stop accepting, finish, close the registry, exit 0.
import cluster from 'node:cluster';
import { createApp } from './app.js';

const workers = Number(process.env.WORKERS ?? 1);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // The primary holds nothing else: it exits by itself once every worker has.
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
} else {
  const { app, registry, stopSweeping } = await createApp();
  const server = app.listen(Number(process.env.PORT ?? 3000), () => {
    const { port } = server.address();
    console.log(
      `listening on http://localhost:${port} (pid ${process.pid}): /cached /session /limited`,
    );
  });
  process.once('SIGTERM', () => {
    stopSweeping();
    // Nothing is left open after this, so the process exits by itself (code 0).
    server.close(() => registry.close());
    server.closeIdleConnections();
  });
}
