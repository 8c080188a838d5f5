/**
 * Issue 23, traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, the webhook that opens a conversation, its workflow run
 * and the send activity in the worker process share one trace (Temporal's OpenTelemetry interceptors), and an API
 * request traces into the Update it makes; exported by OTLP over HTTP to a collector, here a loopback stand-in.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnBin } from '../support/processes';
import { createServer, type Server } from 'node:http';
import { findFreePort } from '../../scripts/dev-servers';
import { APP_SECRET, BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { inboundTextWebhook, signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

const customer = `1559${String(Math.floor(Math.random() * 900_000) + 100_000)}1`;
const spans: ExportedSpan[] = [];
let collector: Server;
let rig: ServiceRig;
const processes: ChildProcess[] = [];
let apiUrl: string;

/** OTLP/HTTP JSON: resourceSpans[].resource.attributes (service.name), scopeSpans[].spans[]. */
function collect(body: string): void {
  const payload = JSON.parse(body) as {
    resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Omit<ExportedSpan, 'service'>[] }[] }[];
  };
  for (const resource of payload.resourceSpans) {
    const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
  }
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') collect(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ready) => collector.listen(0, '127.0.0.1', ready));
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  rig = await startService({ inProcessWorker: false });
  // The worker bundles its workflows itself, so Temporal's workflow interceptors are in the bundle.
  const { WORKER_WORKFLOW_BUNDLE: _prebuilt, ...env } = rig.workerEnv();
  const port = await findFreePort();
  const workerPort = await findFreePort();
  apiUrl = `http://127.0.0.1:${port}`;
  for (const [bin, extra] of [
    ['worker', { WORKER_HEALTH_PORT: String(workerPort) }],
    ['api', { HTTP_PORT: String(port) }],
  ] as const) {
    processes.push(spawnBin(bin, { ...env, ...extra, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }));
  }
  await eventually(() => fetch(`${apiUrl}/healthz`).then((r) => r.status, () => 0), (status) => status === 200, 60_000);
  await eventually(() => fetch(`http://127.0.0.1:${workerPort}/healthz`).then((r) => r.status, () => 0), (status) => status === 200, 90_000);
}, 180_000);
afterAll(async () => {
  for (const child of processes) child.kill('SIGTERM');
  await rig?.stop();
  collector?.close();
});

describe('traces', () => {
  it('the webhook that opens a conversation and the send in its workflow share a trace; a reply request traces into the Update it makes', async () => {
    // The customer's message, signed as Meta signs it, into the traced API process.
    const body = JSON.stringify(inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' }));
    const delivered = await fetch(`${apiUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, APP_SECRET) },
      body,
    });
    expect(delivered.status).toBe(200);
    const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
    await eventually(() => rig.request('GET', `/v1/conversations/${id}`), (r) => r.body.windowOpen === true, 60_000);
    const reply = await fetch(`${apiUrl}/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.keys.integrator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: { type: 'text', text: 'Traced reply' } }),
    });
    expect(reply.status).toBe(202);

    const span = (name: string, traceId?: string) =>
      eventually(
        async () => spans.find((s) => s.name === name && (traceId === undefined || s.traceId === traceId)),
        (found) => found !== undefined,
        30_000,
      ) as Promise<ExportedSpan>;
    // Webhook → signal-with-start → the workflow run → the send activity (in the worker process).
    const webhook = await span('POST /webhooks/whatsapp');
    expect(webhook.service).toBe('whatsapp-connector-api');
    expect((await span('HandleSignal:customerMessage', webhook.traceId)).service).toBe('whatsapp-connector-worker');
    expect((await span('RunActivity:sendMessage', webhook.traceId)).service).toBe('whatsapp-connector-worker');
    // The reply request → its Update, validated and handled by the workflow.
    const request = await span('POST /v1/conversations/:conversationId/messages');
    expect((await span('HandleUpdate:sendMessage', request.traceId)).service).toBe('whatsapp-connector-worker');
    // Span names carry routes and Temporal's operation names, never a customer's number (Temporal's interceptors do
    // put the workflow id in attributes: README "Metrics and traces").
    expect(spans.map((s) => s.name).join('\n')).not.toContain(customer);
  }, 150_000);
});
