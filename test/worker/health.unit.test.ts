import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';
import { startWorkerHealth } from '../../worker/health';

describe("the worker's health endpoint (probes of compose and Kubernetes)", () => {
  it('answers 200 while the worker runs and 503 with the state while it drains or failed, and serves /metrics', async () => {
    let state: State = 'RUNNING';
    const server = await startWorkerHealth(0, '127.0.0.1', () => state);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const running = await fetch(`${url}/healthz`);
      expect([running.status, await running.json()]).toEqual([200, { state: 'RUNNING' }]);
      state = 'DRAINING';
      const draining = await fetch(`${url}/healthz`);
      expect([draining.status, await draining.json()]).toEqual([503, { state: 'DRAINING' }]);
      // Prometheus scrapes the same port; nothing else is served.
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('whatsapp_connector_process_cpu_seconds_total');
      expect((await fetch(`${url}/v1/conversations`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
