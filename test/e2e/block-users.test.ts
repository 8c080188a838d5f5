import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * Blocking an abusive person through Meta's Block Users API
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/): only people who wrote in
 * the last 24 hours; nothing goes to them while blocked; their messages are kept but not routed.
 */
const nowSeconds = () => Math.floor(Date.now() / 1000);
let rig: ServiceRig;
let next = 15559000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

async function conversationWith(customer: string, writtenAt = nowSeconds()) {
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'you will regret this', timestamp: writtenAt });
  const path = `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${customer}`;
  await eventually(() => rig.request('GET', path), (r) => r.status === 200 && r.body.inboundCount === 1);
  return path;
}

describe('blocking a person', () => {
  it('blocks through WhatsApp, keeps their later messages without routing them, refuses sends, and unblocks', async () => {
    const customer = newCustomer();
    const path = await conversationWith(customer);

    const blocked = await rig.requestAs('supervisor', 'POST', `${path}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ blocked: true, waId: customer, businessNumberId: BUSINESS_NUMBER_ID });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).toContain(customer);
    const list = await rig.requestAs('supervisor', 'GET', `/v1/numbers/${BUSINESS_NUMBER_ID}/blocked-users?limit=100`);
    expect(list.body.blockedUsers).toContainEqual({ waId: customer });

    // A message written before the block, delivered after it: kept, not routed to the conversation.
    const late = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'and another thing' });
    expect(late.delivery.finalStatus).toBe(200);
    expect(await rig.store.messages.findOne({ wamid: late.wamid })).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await rig.request('GET', path)).body.inboundCount).toBe(1);

    const sentBefore = rig.simulator.sent().filter((m) => m.to === customer).length;
    const refused = await rig.request('POST', `${path}/messages`, { message: { type: 'text', text: 'Hello?' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'customer_blocked' });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(sentBefore);

    const unblocked = await rig.requestAs('agent', 'DELETE', `${path}/block`);
    expect(unblocked.status).toBe(200);
    expect(unblocked.body).toMatchObject({ blocked: false });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).not.toContain(customer);
    expect((await rig.request('POST', `${path}/messages`, { message: { type: 'text', text: 'How can we help?' } })).status).toBe(202);
    // The very next message after the unblock is routed again (the webhook never remembers "blocked").
    const after = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'sorry about that' });
    expect(after.delivery.finalStatus).toBe(200);
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 2);
  }, 40_000);

  it('refuses to block someone who last wrote more than 24 hours ago, and WhatsApp is not asked', async () => {
    const customer = newCustomer();
    const path = await conversationWith(customer, nowSeconds() - 25 * 3600);
    const refused = await rig.requestAs('supervisor', 'POST', `${path}/block`);
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'block_requires_recent_message' });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).not.toContain(customer);
  }, 30_000);

  it('is for supervisors and agents, not integrators', async () => {
    const path = await conversationWith(newCustomer());
    expect((await rig.request('POST', `${path}/block`)).status).toBe(403);
  }, 30_000);
});
