import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The connector's Prometheus metrics (prom-client), one registry per process: the API's and the worker's `/metrics`
 * serve it (README "Metrics and traces"). Names follow Prometheus' conventions (`_total` counters, `_seconds`
 * histograms, base units); labels are closed sets or Meta's numeric codes, never a customer or message id, so the
 * series stay few and carry no personal data.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'whatsapp_connector_' });

/** Webhook deliveries by HTTP answer (`200`, `400`, `401`, `503`, …). */
export const webhookRequests = new Counter({
  name: 'whatsapp_webhook_requests_total',
  help: 'Webhook deliveries from the broker, by the HTTP status answered',
  labelNames: ['status'] as const,
  registers: [registry],
});

/** Time from the request's arrival to the acknowledgement, by HTTP answer (Meta retries anything but a 200). */
export const webhookAckSeconds = new Histogram({
  name: 'whatsapp_webhook_ack_seconds',
  help: 'Webhook time to acknowledgement, seconds, by the HTTP status answered',
  labelNames: ['status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** What webhook bodies carried: `message`, `duplicate`, `status`, `template_event`, `ignored`, `dead_letter`. */
export const webhookParts = new Counter({
  name: 'whatsapp_webhook_parts_total',
  help: 'Parts of webhook bodies processed, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

/** Messages by direction (`inbound`, `outbound`) and Cloud API type (`text`, `image`, `template`, `interactive`, …). */
export const messages = new Counter({
  name: 'whatsapp_messages_total',
  help: 'Messages taken from customers (inbound) and accepted by the broker (outbound), by type',
  labelNames: ['direction', 'type'] as const,
  registers: [registry],
});

/**
 * Send attempts to the broker by outcome: `accepted`, `rejected` (final: Meta's error code in `code`) or `retried`
 * (the broker unavailable or throttling; Temporal tries again).
 */
export const sends = new Counter({
  name: 'whatsapp_sends_total',
  help: "Send attempts to the broker, by outcome and Meta's error code",
  labelNames: ['outcome', 'code'] as const,
  registers: [registry],
});

/** API answers that are problems, by stable code and status (`template_required` is a window refusal). */
export const apiProblems = new Counter({
  name: 'whatsapp_api_problems_total',
  help: 'API requests answered with a problem, by code and HTTP status',
  labelNames: ['code', 'status'] as const,
  registers: [registry],
});

/** API sends refused because the customer service window is closed (409 `template_required`); not the SIP chat's. */
export const windowRefusals = new Counter({
  name: 'whatsapp_window_refusals_total',
  help: 'Free-form sends refused because the 24-hour customer service window is closed',
  registers: [registry],
});

/** Final answers to the SIP requests the connector sends, by method and code (`timeout`, `transportError` too). */
export const sipResponses = new Counter({
  name: 'whatsapp_sip_responses_total',
  help: "The contact centre's final SIP answers to our requests, by method and status code",
  labelNames: ['method', 'code'] as const,
  registers: [registry],
});

/** Every activity the worker runs, by name and outcome (`completed`, `failed`): store and Temporal errors show here. */
export const activitySeconds = new Histogram({
  name: 'whatsapp_activity_seconds',
  help: 'Activity executions, seconds, by activity type and outcome',
  labelNames: ['activity', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/**
 * This process's metrics in Prometheus' text format, followed by the Temporal SDK exporter's page at `sdkMetricsUrl`
 * (`http://127.0.0.1:<port>/metrics`) when the process runs a worker; the SDK's part is left out if it does not
 * answer within a second, so a scrape always gets ours.
 */
export async function metricsPage(sdkMetricsUrl?: string): Promise<string> {
  let sdk = '';
  if (sdkMetricsUrl) {
    try {
      const answer = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(1_000) });
      if (answer.ok) sdk = await answer.text();
    } catch {
      // The SDK's exporter is not up (yet): ours alone.
    }
  }
  return `${await registry.metrics()}\n${sdk}`;
}
