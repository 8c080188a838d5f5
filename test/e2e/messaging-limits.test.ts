import { defaultMessagingLimits } from '../../lib/messaging-limits';
import { upsertTemplate } from '../../store/templates.store';
import { uniqueId } from '../support/env';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ApiResponse, type ServiceRig } from '../support/service';

/** Numbers whose tiers the tests use up, one each: a tier of 2, and two of 1. */
const SMALL_TIER = '106540350000002';
const TINY_TIER = '106540350000001';
const WINDOW_TIER = '106540350000003';
const DAY = 24 * 60 * 60 * 1000;

let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);

beforeAll(async () => {
  rig = await startService({
    limits: { ...defaultMessagingLimits, overrides: { [SMALL_TIER]: { templateTier: 2 }, [TINY_TIER]: { templateTier: 1 }, [WINDOW_TIER]: { templateTier: 1 } }, customerPacingMs: 1_000 },
  });
  for (const businessNumberId of [SMALL_TIER, TINY_TIER, WINDOW_TIER, BUSINESS_NUMBER_ID]) {
    await upsertTemplate(rig.store, { businessNumberId, name: 'renewal_notice', language: 'en_US', category: 'utility', status: 'APPROVED', body: 'Your renewal is due soon.', updatedAt: new Date() });
  }
  // WhatsApp holds it too: the simulator refuses templates it does not hold (132001), as Meta does.
  rig.simulator.seedTemplate({ wabaId: '102290129340398', name: 'renewal_notice', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Your renewal is due soon.' }] });
}, 60_000);
afterAll(async () => rig?.stop());

const newCustomer = () => String((next += 1));
const template = { name: 'renewal_notice', language: 'en_US' };
const startConversation = (businessNumberId: string, waId: string) =>
  rig.request('POST', '/v1/conversations', { businessNumberId, customer: { waId }, template }, { 'idempotency-key': uniqueId('start') });
const campaign = (id: string) => rig.request('GET', `/v1/campaigns/${id}`);
const finished = (r: ApiResponse) => r.body.state === 'completed' || r.body.state === 'cancelled';

describe("the number's template tier", () => {
  it('refuses a campaign’s recipients beyond the tier with messaging_limit_reached, then an integrator’s template to a new customer, changing nothing', async () => {
    const list = [newCustomer(), newCustomer(), newCustomer(), newCustomer()];
    const created = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: SMALL_TIER,
      template,
      recipients: list.map((waId) => ({ waId })),
      ratePerSecond: 1,
      whenTierUsedUp: 'refuse',
    });
    const done = await eventually(() => campaign(created.body.campaignId), finished, 20_000);
    expect(done.body).toMatchObject({ state: 'completed', counts: { queued: 2, refused: 2 }, refusals: { messaging_limit_reached: 2 } });
    const page = await rig.request('GET', `/v1/campaigns/${created.body.campaignId}/recipients`);
    const counted = page.body.recipients.filter((r: { status: string }) => r.status !== 'refused').map((r: { customer: { waId: string } }) => r.customer.waId);
    expect(page.body.recipients.filter((r: { refusal?: { code: string } }) => r.refusal?.code === 'messaging_limit_reached')).toHaveLength(2);
    await eventually(() => rig.simulator.sent().filter((m) => m.phoneNumberId === SMALL_TIER), (s) => s.length === 2);

    const outboundBefore = await rig.store.messages.countDocuments({ businessNumberId: SMALL_TIER });
    const stranger = newCustomer();
    const refused = await startConversation(SMALL_TIER, stranger);
    expect(refused.status).toBe(429);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'messaging_limit_reached', tier: 2 });
    expect(Date.parse(refused.body.retryAt) - Date.now()).toBeGreaterThan(DAY - 60_000);
    expect((await rig.request('GET', `/v1/conversations/wa:${SMALL_TIER}:${stranger}`)).status).toBe(404);
    expect(await rig.store.messages.countDocuments({ businessNumberId: SMALL_TIER })).toBe(outboundBefore);

    // A customer already counted in the last 24 hours may get another template.
    expect((await startConversation(SMALL_TIER, counted[0])).status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.phoneNumberId === SMALL_TIER), (s) => s.length === 3);
  }, 40_000);

  it('makes a campaign wait for the tier by default, showing when it resumes, until cancelled', async () => {
    const [first, second] = [newCustomer(), newCustomer()];
    const created = await rig.request('POST', '/v1/campaigns', { businessNumberId: TINY_TIER, template, recipients: [{ waId: first }, { waId: second }] });
    expect(created.body).toMatchObject({ whenTierUsedUp: 'wait', ratePerSecond: 30 });
    const waiting = await eventually(() => campaign(created.body.campaignId), (r) => r.body.state === 'waitingForTier', 20_000);
    expect(waiting.body).toMatchObject({ processed: 1, counts: { queued: 1, pending: 1 } });
    expect(Date.parse(waiting.body.resumesAt) - Date.now()).toBeGreaterThan(DAY - 60_000);
    // The two were handed over together; whichever got the unit is queued, the other waits.
    const page = await rig.request('GET', `/v1/campaigns/${created.body.campaignId}/recipients`);
    const waitingFor = page.body.recipients.filter((r: { status: string }) => r.status === 'pending').map((r: { customer: { waId: string } }) => r.customer.waId);
    expect(waitingFor).toHaveLength(1);

    const cancelled = await rig.request('POST', `/v1/campaigns/${created.body.campaignId}/cancel`, {});
    expect(cancelled.body).toMatchObject({ state: 'cancelled', counts: { queued: 1, cancelled: 1 } });
    await eventually(() => rig.simulator.sent().filter((m) => m.phoneNumberId === TINY_TIER), (s) => s.length === 1);
    expect(rig.simulator.sent().filter((m) => m.to === waitingFor[0])).toHaveLength(0);
    expect([first, second]).toContain(rig.simulator.sent().find((m) => m.phoneNumberId === TINY_TIER)!.to);
  }, 40_000);

  it('does not count a template to a customer whose window is open', async () => {
    expect((await startConversation(WINDOW_TIER, newCustomer())).status).toBe(202);
    expect((await startConversation(WINDOW_TIER, newCustomer())).body.code).toBe('messaging_limit_reached');

    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: WINDOW_TIER, from: customer, text: 'hi' });
    const path = `/v1/conversations/wa:${WINDOW_TIER}:${customer}`;
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'openSession');
    // The tier of 1 is used up, yet a template inside the customer's window is free.
    const sent = await rig.request('POST', `${path}/messages`, { message: { type: 'template', ...template } });
    expect(sent.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
  });
});
