/**
 * Marketing consent, WhatsApp's marketing error codes, and per-message pricing (issue 20), end to end through the
 * simulator: `user_preferences` as Meta's reference documents it, 131050 / 131049 as `failed` status webhooks, 131048
 * as a send refusal, and the status webhooks' `pricing` (type, category, billable).
 */
import { upsertTemplate } from '../../store/templates.store';
import { uniqueId } from '../support/env';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ApiResponse, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15559100000 + Math.floor(Math.random() * 800_000);
const customer = () => String((next += 1));
const conversation = (waId: string) => encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${waId}`);

beforeAll(async () => {
  rig = await startService();
  await rig.approveTemplate('order_update', 'en_US');
  // A marketing template, at WhatsApp and here (approveTemplate makes utility ones).
  rig.simulator.seedTemplate({ wabaId: WABA_ID, name: 'winter_sale', language: 'en_US', category: 'MARKETING', status: 'APPROVED', components: [{ type: 'BODY', text: 'Our winter sale starts today.' }] });
  await upsertTemplate(rig.store, {
    businessNumberId: BUSINESS_NUMBER_ID, name: 'winter_sale', language: 'en_US', category: 'marketing', status: 'APPROVED', body: 'Our winter sale starts today.',
    definition: { body: { text: 'Our winter sale starts today.' } }, updatedAt: new Date(),
  });
}, 60_000);
afterAll(async () => rig?.stop());

const sendTemplate = (waId: string, name: string) =>
  rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId }, template: { name, language: 'en_US' } }, { 'idempotency-key': uniqueId('send') });
const message = (waId: string, id: string) =>
  rig.request('GET', `/v1/conversations/${conversation(waId)}/messages`).then((r) => (r.body.messages as { id: string }[] | undefined)?.find((m) => m.id === id) as Record<string, any> | undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
const whatsappSays = async (field: string, options: Record<string, unknown>) => {
  const answer = await fetch(`${rig.simulator.url}/_sim/account-health/${field}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options) });
  expect(answer.status).toBe(200);
};
const campaign = (id: string) => rig.request('GET', `/v1/campaigns/${id}`);
const done = (r: ApiResponse) => r.body.state === 'completed';

describe('marketing consent', () => {
  it("refuses marketing templates to a person who stopped them (user_preferences), in campaigns too, and sends again once they resume", async () => {
    const [stopped, other] = [customer(), customer()];
    await whatsappSays('user_preferences', { phoneNumberId: BUSINESS_NUMBER_ID, displayPhoneNumber: '15550783881', waId: stopped, name: 'Ada', value: 'stop' });

    const refused = await eventually(() => sendTemplate(stopped, 'winter_sale'), (r) => r.status !== 202, 10_000);
    expect(refused).toMatchObject({ status: 422, body: { code: 'marketing_opted_out', source: 'user_preferences' } });
    // Consent is about marketing: a utility template still goes.
    expect((await sendTemplate(stopped, 'order_update')).status).toBe(202);

    const created = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'winter_sale', language: 'en_US' }, recipients: [{ waId: stopped }, { waId: other }], ratePerSecond: 2,
    }, { 'idempotency-key': uniqueId('cmp') });
    const finished = await eventually(() => campaign(created.body.campaignId), done, 20_000);
    expect(finished.body).toMatchObject({ counts: { queued: 1, refused: 1 }, refusals: { marketing_opted_out: 1 } });
    const page = await rig.request('GET', `/v1/campaigns/${created.body.campaignId}/recipients`);
    expect(page.body.recipients[0]).toMatchObject({ status: 'refused', refusal: { code: 'marketing_opted_out' } });
    expect(rig.simulator.sent().filter((m) => m.to === stopped && (m.body.template as { name: string }).name === 'winter_sale')).toHaveLength(0);

    await whatsappSays('user_preferences', { phoneNumberId: BUSINESS_NUMBER_ID, displayPhoneNumber: '15550783881', waId: stopped, value: 'resume' });
    expect((await eventually(() => sendTemplate(stopped, 'winter_sale'), (r) => r.status === 202, 10_000)).status).toBe(202);
  }, 60_000);

  it('learns the opt-out from a 131050 refusal: the message fails with its meaning, and the next marketing template is refused up front', async () => {
    const waId = customer();
    rig.simulator.stopMarketing(waId); // at WhatsApp only: no webhook told us
    const accepted = await sendTemplate(waId, 'winter_sale');
    expect(accepted.status).toBe(202);
    const failed = await eventually(() => message(waId, accepted.body.messageId), (m) => m?.status === 'failed', 15_000);
    expect(failed!.failure).toMatchObject({ code: 131050, action: 'refuse', meaning: expect.stringContaining('stopped marketing') });
    expect(await eventually(() => sendTemplate(waId, 'winter_sale'), (r) => r.status !== 202, 10_000)).toMatchObject({ status: 422, body: { code: 'marketing_opted_out', source: 'error_131050' } });
  }, 30_000);

  it('records 131049 (per-user marketing limit) as a final outcome with its meaning: not retried, and not an opt-out', async () => {
    const waId = customer();
    rig.simulator.limitMarketing(waId);
    const accepted = await sendTemplate(waId, 'winter_sale');
    const failed = await eventually(() => message(waId, accepted.body.messageId), (m) => m?.status === 'failed', 15_000);
    expect(failed!.failure).toMatchObject({ code: 131049, action: 'refuse', reason: 'broker_rejected', meaning: expect.stringContaining('24 hours') });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(rig.simulator.sent().filter((m) => m.to === waId)).toHaveLength(1);
    expect((await sendTemplate(waId, 'winter_sale')).status).toBe(202);
  }, 30_000);
});

describe('per-message pricing', () => {
  it("keeps each message's pricing type, category and billable from the status webhooks, and the KPIs count billable and free messages with a cost estimate from the rate card", async () => {
    const waId = customer();
    const template = await sendTemplate(waId, 'winter_sale');
    const priced = await eventually(() => message(waId, template.body.messageId), (m) => m?.status === 'read', 15_000);
    expect(priced!.pricing).toEqual({ type: 'regular', category: 'marketing', billable: true, model: 'PMP' });

    // A reply inside the customer service window is free, as Meta prices it.
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: waId, text: 'Tell me more' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(waId)}`), (r) => r.body.state === 'openSession');
    const reply = await rig.request('POST', `/v1/conversations/${conversation(waId)}/messages`, { message: { type: 'text', text: 'Here it is' } }, { 'idempotency-key': uniqueId('reply') });
    const free = await eventually(() => message(waId, reply.body.messageId), (m) => m?.status === 'read', 15_000);
    expect(free!.pricing).toMatchObject({ type: 'free_customer_service', category: 'service', billable: false });

    expect((await rig.request('PUT', '/v1/pricing/rate-card', { currency: 'USD', rates: { marketing: 0.025 } })).status).toBe(403);
    const card = await rig.requestAs('supervisor', 'PUT', '/v1/pricing/rate-card', { currency: 'USD', rates: { marketing: 0.025, utility: 0.004 } });
    expect(card).toMatchObject({ status: 200, body: { currency: 'USD', rates: { marketing: 0.025 } } });
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/pricing/rate-card', { currency: 'dollars', rates: {} })).body.code).toBe('invalid_request');

    const kpis = await eventually(
      () => rig.requestAs('analyst', 'GET', `/v1/analytics/kpis?businessNumberId=${BUSINESS_NUMBER_ID}`),
      (r) => r.status === 200 && (r.body.pricing?.byCategory?.service?.free ?? 0) >= 1,
      20_000,
    );
    const { byCategory, freeByType, costEstimate } = kpis.body.pricing;
    expect(byCategory.marketing.billable).toBeGreaterThanOrEqual(1);
    expect(freeByType.free_customer_service).toBeGreaterThanOrEqual(1);
    expect(costEstimate).toMatchObject({ currency: 'USD', unratedCategories: [] });
    expect(costEstimate.byCategory.marketing).toBeCloseTo(byCategory.marketing.billable * 0.025, 6);
  }, 60_000);
});

describe('spam rate limit (131048)', () => {
  it('fails the message without retrying, holds the number’s marketing (campaigns pause, sends refused) with an alert, and releases it when the supervisor resolves it', async () => {
    const waId = customer();
    rig.simulator.injectFault({ kind: 'http', status: 400, code: 131048, times: 3, match: { to: waId } });
    const accepted = await sendTemplate(waId, 'winter_sale');
    const failed = await eventually(() => message(waId, accepted.body.messageId), (m) => m?.status === 'failed', 15_000);
    expect(failed!.failure).toMatchObject({ code: 131048, action: 'alert', meaning: expect.stringContaining('spam') });
    expect(rig.simulator.sent().filter((m) => m.to === waId)).toHaveLength(0);

    const alerts = await rig.requestAs('supervisor', 'GET', '/v1/alerts?status=active');
    const alert = alerts.body.alerts.find((a: { holdId?: string }) => a.holdId === `marketing:${BUSINESS_NUMBER_ID}`);
    expect(alert).toMatchObject({ field: 'send_error', event: '131048', severity: 'critical' });
    expect(await sendTemplate(customer(), 'winter_sale')).toMatchObject({ status: 409, body: { code: 'marketing_held', alertId: alert.id } });
    expect((await sendTemplate(customer(), 'order_update')).status).toBe(202); // utility is not held

    const list = [customer(), customer()];
    const created = await rig.request('POST', '/v1/campaigns', { businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'winter_sale', language: 'en_US' }, recipients: list.map((w) => ({ waId: w })), ratePerSecond: 2 }, { 'idempotency-key': uniqueId('cmp') });
    const paused = await eventually(() => campaign(created.body.campaignId), (r) => r.body.state === 'paused', 15_000);
    expect(paused.body).toMatchObject({ processed: 0, pausedFor: { holdId: `marketing:${BUSINESS_NUMBER_ID}`, alertId: alert.id } });

    const resolved = await rig.requestAs('supervisor', 'POST', `/v1/alerts/${alert.id}/resolve`, { campaigns: 'resume' });
    expect(resolved.body.resumed).toEqual([created.body.campaignId]);
    expect((await eventually(() => campaign(created.body.campaignId), done, 20_000)).body.counts.queued).toBe(2);
  }, 60_000);
});
