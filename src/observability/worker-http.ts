import { createServer, type Server } from 'node:http';
import type { Observability } from './observability';

/**
 * A worker process serves no API, yet its counters (activity attempts, timers, SLA breaches)
 * exist only in it: it answers `/metrics` and `/health` on a port of its own.
 */
export async function startWorkerHttp(observability: Observability, host: string, port: number): Promise<Server> {
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
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return server;
}
