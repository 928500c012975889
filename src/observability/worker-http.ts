import { createServer, type Server } from 'node:http';
import type { Observability } from './observability';

/**
 * A worker process serves no API, yet its counters (activity attempts, timers, SLA breaches)
 * exist only in it: it answers `/metrics`, `/health` (liveness) and `/health/ready` on a port of its own.
 */
/** What a worker's readiness says: ready, or which check failed and why. */
export type WorkerReadiness = () => Promise<{ ready: boolean; checks: Record<string, { status: 'up' | 'down'; message?: string }> }>;

export async function startWorkerHttp(observability: Observability, host: string, port: number, readiness?: WorkerReadiness): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && observability.metrics) {
      observability.metrics
        .scrape()
        .then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body))
        .catch((err: Error) => {
          observability.logger.error({ err }, 'metrics scrape failed');
          res.writeHead(500).end();
        });
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.method === 'GET' && path === '/health/ready' && readiness) {
      readiness()
        .then(({ ready, checks }) => res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ok' : 'error', checks })))
        .catch((err: Error) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', message: err.message })));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return server;
}
