/**
 * Issue 23, metrics: after real traffic, the API's and the worker process's `GET /metrics` say what an operator
 * must see (webhooks by answer and their ack time, messages by type, sends by outcome, window refusals, templates by
 * status, activities, and the Temporal SDK's own worker metrics), in Prometheus' text format.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnBin } from '../support/processes';
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const customer = `1558${suffix}1`;
const stranger = `1558${suffix}2`;
let rig: ServiceRig;
let worker: ChildProcess;
let workerMetricsUrl: string;

/** `name{labels} value` lines as a map from the series (name and labels as written) to its value. */
async function scrape(url: string): Promise<{ text: string; value(series: string): number }> {
  const answer = await fetch(url);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toContain('text/plain');
  const text = await answer.text();
  const values = new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))] as const),
  );
  return { text, value: (series) => values.get(series) ?? 0 };
}

beforeAll(async () => {
  rig = await startService({ inProcessWorker: false });
  const port = await findFreePort();
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = spawnBin('worker', { ...rig.workerEnv(), WORKER_HEALTH_PORT: String(port) });
  await rig.approveTemplate('order_update', 'en_US');
  // The worker process polls (its /healthz says RUNNING) before any traffic needs it.
  await eventually(() => fetch(workerMetricsUrl.replace('/metrics', '/healthz')).then((r) => r.status, () => 0), (status) => status === 200, 90_000);
}, 120_000);
afterAll(async () => {
  worker?.kill('SIGTERM');
  await rig?.stop();
});

describe('metrics after traffic', () => {
  it('the API counts webhooks by answer with their ack time, inbound messages by type, window refusals and templates by status', async () => {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' });
    const forged = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, body: '{}' });
    expect(forged.status).toBe(401);
    // A conversation the business opened with a template: no window until the customer writes.
    const started = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: stranger }, template: { name: 'order_update', language: 'en_US' } });
    expect(started.status).toBe(202);
    const refused = await rig.request('POST', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${stranger}/messages`, { message: { type: 'text', text: 'hi' } });
    expect(refused.body.code).toBe('template_required');

    const api = await scrape(`${rig.baseUrl}/metrics`);
    expect(api.value('whatsapp_webhook_requests_total{status="200"}')).toBeGreaterThanOrEqual(1);
    expect(api.value('whatsapp_webhook_requests_total{status="401"}')).toBe(1);
    expect(api.value('whatsapp_webhook_ack_seconds_count{status="200"}')).toBeGreaterThanOrEqual(1);
    expect(api.value('whatsapp_webhook_ack_seconds_bucket{le="+Inf",status="200"}')).toBe(api.value('whatsapp_webhook_ack_seconds_count{status="200"}'));
    expect(api.value('whatsapp_webhook_parts_total{kind="message"}')).toBeGreaterThanOrEqual(1);
    expect(api.value('whatsapp_messages_total{direction="inbound",type="text"}')).toBeGreaterThanOrEqual(1);
    expect(api.value('whatsapp_window_refusals_total')).toBe(1);
    expect(api.value('whatsapp_api_problems_total{code="template_required",status="409"}')).toBe(1);
    expect(api.value('whatsapp_templates{status="APPROVED"}')).toBeGreaterThanOrEqual(1);
    expect(api.text).toContain('whatsapp_connector_process_cpu_seconds_total');
    // No customer's number in any series.
    expect(api.text).not.toContain(customer);
    expect(api.text).not.toContain(stranger);
  });

  it("the worker process counts sends by outcome, outbound messages by type and activities, with the Temporal SDK's metrics", async () => {
    const conversationId = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationId}`), (r) => r.body.windowOpen === true, 30_000);
    const reply = await rig.request('POST', `/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text: 'How can I help?' } });
    expect(reply.status).toBe(202);
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationId}/messages`), (r) => r.body.messages?.some((m: { direction: string; wamid?: string }) => m.direction === 'outbound' && m.wamid), 30_000);

    const scraped = await eventually(() => scrape(workerMetricsUrl), (m) => m.value('whatsapp_sends_total{outcome="accepted",code=""}') >= 1, 30_000);
    expect(scraped.value('whatsapp_messages_total{direction="outbound",type="text"}')).toBeGreaterThanOrEqual(1);
    expect(scraped.value('whatsapp_activity_seconds_count{activity="sendMessage",outcome="completed"}')).toBeGreaterThanOrEqual(1);
    // The SDK's own (Temporal's names, https://docs.temporal.io/references/sdk-metrics).
    expect(scraped.text).toMatch(/^temporal_workflow_task_execution_latency\w*/m);
    expect(scraped.text).not.toContain(customer);
  }, 90_000);
});
