import { eventually } from '../support/workflow-env';
import { startService, type ServiceRig } from '../support/service';

// A business number of its own: KPIs are computed over everything the shared dev server holds for it.
const BUSINESS = String(800_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
const CUSTOMERS = ['15559020001', '15559020002'];
const conversationOf = (customer: string) => `wa:${BUSINESS}:${customer}`;

let rig: ServiceRig;

beforeAll(async () => {
  rig = await startService({ analyticsMaxRuns: 2 });
  for (const customer of CUSTOMERS) {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS, from: customer, text: 'Hello?' });
    const id = conversationOf(customer);
    await eventually(() => rig.request('GET', `/v1/conversations/${id}`), (r) => r.status === 200 && r.body.state === 'openSession');
    await rig.requestAs('agent', 'POST', `/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Hi!' } });
    // The simulator reports sent, delivered and read with a pricing category.
    await eventually(() => rig.request('GET', `/v1/conversations/${id}/messages`), (r) => r.body.messages?.[1]?.status === 'read');
  }
  await rig.request('POST', `/v1/conversations/${conversationOf(CUSTOMERS[1]!)}/close`, {});
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe('analyst API', () => {
  it("answers one conversation's timeline with its path through the machine", async () => {
    const id = conversationOf(CUSTOMERS[1]!);
    const response = await rig.requestAs('analyst', 'GET', `/v1/analytics/conversations/${id}/timeline`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ conversationId: id, replayFailures: [] });
    const [run] = response.body.runs;
    expect(run.states.map((s: { state: string }) => s.state)).toEqual(['inbound', 'openSession', 'closed']);
    expect(run).toMatchObject({ finalState: 'closed', ending: 'completed', messages: { inbound: 1, outboundSession: 1, outboundTemplate: 0 } });
    expect(run.firstResponseMs).toBeGreaterThanOrEqual(0);
    expect(run.diagram).toContain('inbound --> openSession: customer.messageReceived [opensWindow] (#1)');
    expect(run.diagram).toContain('active --> closed: conversation.closeRequested (#2)');

    const oneRun = await rig.requestAs('analyst', 'GET', `/v1/analytics/conversations/${id}/timeline?runId=${run.runId}`);
    expect(oneRun.body.runs).toHaveLength(1);
  });

  it('answers KPIs over a filter, pricing categories from the store included', async () => {
    const response = await eventually(
      () => rig.requestAs('analyst', 'GET', `/v1/analytics/kpis?businessNumberId=${BUSINESS}`),
      (r) => r.status === 200 && r.body.conversations === 2,
    );
    expect(response.body).toMatchObject({
      conversations: 2,
      conversationsByState: { openSession: 1, closed: 1 },
      messages: { inbound: 2, outboundSession: 2, outboundTemplate: 0 },
      firstResponseTime: { count: 2 },
      messagesByPricingCategory: { service: 2 },
    });
    const closedOnly = await rig.requestAs('analyst', 'GET', `/v1/analytics/kpis?businessNumberId=${BUSINESS}&state=closed`);
    expect(closedOnly.body).toMatchObject({ conversations: 1, conversationsByState: { closed: 1, openSession: 0 } });
  });

  it('refuses a filter wider than one request may replay, and says how wide it is', async () => {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS, from: '15559020003', text: 'A third customer' });
    const from = new Date(Date.now() - 60 * 60 * 1000).toISOString();
    const response = await eventually(() => rig.requestAs('analyst', 'GET', `/v1/analytics/kpis?businessNumberId=${BUSINESS}&from=${from}`), (r) => r.status !== 200);
    expect(response.status).toBe(400);
    expect(response.contentType).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'analytics_filter_too_wide', maxRuns: 2 });
    expect(response.body.matchingRuns).toBe(3);
    expect(response.body.detail).toContain('wa-analyst');
  });

  it('answers 404 for an unknown conversation and 400 for a malformed filter', async () => {
    const unknown = await rig.requestAs('analyst', 'GET', `/v1/analytics/conversations/wa:${BUSINESS}:15550000000/timeline`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_conversation');
    const malformed = await rig.requestAs('analyst', 'GET', '/v1/analytics/kpis?from=yesterday&state=asleep');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['from', 'state']);
  });

  it('is for analysts and supervisors only', async () => {
    const id = conversationOf(CUSTOMERS[0]!);
    for (const role of ['integrator', 'agent'] as const) {
      expect(await rig.requestAs(role, 'GET', `/v1/analytics/kpis?businessNumberId=${BUSINESS}`)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      expect((await rig.requestAs(role, 'GET', `/v1/analytics/conversations/${id}/timeline`)).status).toBe(403);
    }
    expect((await rig.requestAs('supervisor', 'GET', `/v1/analytics/conversations/${id}/timeline`)).status).toBe(200);
  });
});
