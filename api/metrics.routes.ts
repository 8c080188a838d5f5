import { Router } from 'express';
import { Gauge } from 'prom-client';
import { metricsPage, registry } from '../lib/metrics';
import type { Store } from '../store/db';
import { campaignStates } from '../store/campaigns.store';
import { activeAlertKinds } from '../store/health.store';
import { templateStatuses } from '../store/templates.store';

/** Where the Temporal SDK's own metrics are served in this process (its Prometheus exporter), if anywhere. */
export interface MetricsRouteOptions {
  store: Store;
  /** `http://127.0.0.1:<port>/metrics` of the SDK's exporter (Runtime telemetry), appended to ours. */
  sdkMetricsUrl?: string;
}

let gaugeStore: Store | undefined;

/**
 * Gauges read from the store at scrape time (templates by status, active account-health alerts, campaigns by state
 * and their recipients by outcome): facts the store owns, so every API process reports the same numbers. Created once per process; the
 * latest app's store is the one read.
 */
function storeGauges(store: Store): void {
  gaugeStore = store;
  if (registry.getSingleMetric('whatsapp_templates')) return;
  new Gauge({
    name: 'whatsapp_templates',
    help: 'Message templates known to the connector, by review status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const status of gaugeStore ? await templateStatuses(gaugeStore) : []) this.inc({ status });
    },
  });
  const campaigns = async () => (gaugeStore ? await campaignStates(gaugeStore) : []);
  new Gauge({
    name: 'whatsapp_account_alerts',
    help: "Active account-health alerts (WhatsApp's webhooks: a number's quality, the account's status, templates), by field, event and severity",
    labelNames: ['field', 'event', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const active = gaugeStore ? await activeAlertKinds(gaugeStore) : [];
      for (const a of active) this.inc({ field: a.field, event: a.event, severity: a.severity });
    },
  });
  new Gauge({
    name: 'whatsapp_campaigns',
    help: 'Campaigns by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await campaigns()) this.inc({ state: c.state });
    },
  });
  new Gauge({
    name: 'whatsapp_campaign_recipients',
    help: 'Recipients of running, paused or waiting campaigns, by outcome so far (pending, queued, refused, cancelled)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await campaigns()) {
        if (c.state === 'completed' || c.state === 'cancelled') continue;
        for (const [outcome, n] of Object.entries(c.counts ?? {})) this.inc({ outcome }, n);
      }
    },
  });
}

/**
 * `GET /metrics`: Prometheus' text format, unauthenticated like `/healthz` (expose it on the internal network only:
 * it names no customer). The Temporal SDK's worker metrics follow ours when this process runs a worker.
 */
export function metricsRoutes({ store, sdkMetricsUrl }: MetricsRouteOptions): Router {
  storeGauges(store);
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await metricsPage(sdkMetricsUrl));
  });
  return router;
}
