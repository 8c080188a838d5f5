import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { Context } from '@temporalio/activity';
import { Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { activitySeconds, metricsPage, registry } from '../lib/metrics';

/**
 * Times every activity the worker runs (`whatsapp_activity_seconds{activity, outcome}`): a store or Temporal outage
 * shows as failed executions of the activities that touch it, without each activity counting its own.
 */
export const activityMetrics: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      const stop = activitySeconds.startTimer({ activity: Context.current().info.activityType });
      try {
        const result = await next(input);
        stop({ outcome: 'completed' });
        return result;
      } catch (err) {
        stop({ outcome: 'failed' });
        throw err;
      }
    },
  },
});

/** A loopback port nobody listens on now (the SDK's exporter needs a fixed address). */
async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
  const { port } = probe.address() as { port: number };
  await new Promise((closed) => probe.close(closed));
  return port;
}

/**
 * Installs the Temporal SDK runtime with its Prometheus exporter on a free loopback port (worker task latency,
 * polls, slots, sticky cache: https://docs.temporal.io/references/sdk-metrics) and answers where it serves, for
 * this process's `/metrics` to include. Call once per process, before any connection to Temporal.
 */
export async function installSdkMetrics(): Promise<string> {
  const port = await freeLoopbackPort();
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  return `http://127.0.0.1:${port}/metrics`;
}

/**
 * The worker process's `GET /metrics` (no API there): ours and the SDK's, on `host:port` (WORKER_METRICS_PORT). Any
 * other path is 404. Answers the server, already listening.
 */
export async function serveWorkerMetrics(host: string, port: number, sdkMetricsUrl?: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsPage(sdkMetricsUrl).then(
      (page) => res.writeHead(200, { 'content-type': registry.contentType }).end(page),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((ready, fail) => server.once('error', fail).listen(port, host, ready));
  return server;
}
