import { createServer, type Server } from 'node:http';
import type { State } from '@temporalio/worker';
import { metricsPage, registry } from '../lib/metrics';

/**
 * The worker's health for an orchestrator (Kubernetes probes, compose health checks): `GET /healthz` answers 200
 * `{"state":"RUNNING"}` while the Temporal worker polls its task queues, and 503 with the state otherwise (starting,
 * draining after SIGTERM, failed). `GET /metrics` answers Prometheus' text format: this process's metrics and the
 * Temporal SDK's (from its exporter at `sdkMetricsUrl`). Nothing else; the port is WORKER_HEALTH_PORT (unset: off).
 * @returns the listening server, to close on shutdown.
 */
export function startWorkerHealth(port: number, host: string, state: () => State, sdkMetricsUrl?: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metricsPage(sdkMetricsUrl).then(
        (page) => res.writeHead(200, { 'content-type': registry.contentType }).end(page),
        () => res.writeHead(500).end(),
      );
      return;
    }
    const current = state();
    const healthy = req.url === '/healthz' && current === 'RUNNING';
    res.writeHead(req.url === '/healthz' ? (healthy ? 200 : 503) : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/healthz' ? { state: current } : { error: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
