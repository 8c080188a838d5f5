import { randomBytes } from 'node:crypto';
import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * Blocking an abusive person through Meta's Block Users API
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/): only people who wrote in
 * the last 24 hours; nothing goes to them while blocked; "the user cannot contact your business", so what they write
 * then never arrives, and a message of theirs that still arrives (written before the block) is kept but not routed.
 */
const nowSeconds = () => Math.floor(Date.now() / 1000);
let rig: ServiceRig;
let next = 15559000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));

/** A phone number id is one phone number: a second id registered here needs a display number of its own. */
const register = async (phoneNumberId: string, displayNumber = '+1 202 555 0107') =>
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId, displayNumber, verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } })).status).toBe(201);

beforeAll(async () => {
  rig = await startService();
  await register(BUSINESS_NUMBER_ID);
}, 60_000);
afterAll(async () => rig?.stop());

async function conversationWith(customer: string, writtenAt = nowSeconds()) {
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'you will regret this', timestamp: writtenAt });
  const path = `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${customer}`;
  await eventually(() => rig.request('GET', path), (r) => r.status === 200 && r.body.inboundCount === 1);
  return path;
}

describe('blocking a person', () => {
  it('blocks through WhatsApp: what they write then never arrives, a message written before is kept unrouted; refuses sends, and unblocks', async () => {
    const customer = newCustomer();
    const path = await conversationWith(customer);

    const blocked = await rig.requestAs('supervisor', 'POST', `${path}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ blocked: true, waId: customer, businessNumberId: BUSINESS_NUMBER_ID });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).toContain(customer);
    const list = await rig.requestAs('supervisor', 'GET', `/v1/numbers/${BUSINESS_NUMBER_ID}/blocked-users?limit=100`);
    expect(list.body.blockedUsers).toContainEqual({ waId: customer });

    // What they write now never reaches the business ("The user cannot contact your business"): WhatsApp delivers nothing.
    const written = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'and another thing' });
    expect(written.delivery).toMatchObject({ attempts: 0, blocked: true });
    expect(await rig.store.messages.findOne({ wamid: written.wamid })).toBeNull();
    // A message written before the block, delivered after it (Meta redelivers a webhook until answered): kept, not routed.
    const late = inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'written before the block', wamid: `wamid.late-${customer}`, timestamp: nowSeconds() - 30 });
    expect(await rig.simulator.deliverWebhook(late)).toMatchObject({ finalStatus: 200 });
    expect(await rig.store.messages.findOne({ wamid: `wamid.late-${customer}` })).not.toBeNull();
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

  it('answers 404 unknown_number on a business number the connector does not know, on every blocked-users route, and WhatsApp is not asked', async () => {
    const before = rig.simulator.blocked('999');
    for (const [method, path] of [['GET', '/v1/numbers/999/blocked-users'], ['GET', '/v1/numbers/999/blocked-users?limit=10'], ['DELETE', '/v1/numbers/999/blocked-users/15551234567']] as const) {
      const answer = await rig.requestAs('supervisor', method, path);
      expect(answer.status).toBe(404);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ code: 'unknown_number', detail: expect.stringContaining('999') });
    }
    expect(rig.simulator.blocked('999')).toEqual(before);
  }, 30_000);

  it('pages the blocklist with an after cursor only while more follow: none on the last page', async () => {
    const number = '106540352249001';
    await register(number, '+1 202 555 0191');
    const customers = [newCustomer(), newCustomer()];
    for (const customer of customers) {
      await rig.simulator.sendInboundText({ phoneNumberId: number, from: customer, text: 'spam' });
      const path = `/v1/conversations/wa:${number}:${customer}`;
      await eventually(() => rig.request('GET', path), (r) => r.status === 200 && r.body.inboundCount === 1);
      expect((await rig.requestAs('supervisor', 'POST', `${path}/block`)).status).toBe(200);
    }
    const list = (query: string) => rig.requestAs('supervisor', 'GET', `/v1/numbers/${number}/blocked-users?${query}`);
    const whole = await list('limit=2');
    expect(whole.body).toEqual({ blockedUsers: customers.map((waId) => ({ waId })) });
    const first = await list('limit=1');
    expect(first.body).toEqual({ blockedUsers: [{ waId: customers[0] }], after: expect.any(String) });
    const last = await list(`limit=1&after=${encodeURIComponent(first.body.after as string)}`);
    expect(last.body).toEqual({ blockedUsers: [{ waId: customers[1] }] });
  }, 40_000);

  it('is for supervisors and agents, not integrators', async () => {
    const path = await conversationWith(newCustomer());
    expect((await rig.request('POST', `${path}/block`)).status).toBe(403);
  }, 30_000);
});

/**
 * One WhatsApp user known by phone number and BSUID is one person (the customer registry); Meta blocks a WhatsApp
 * user, not one of their identifiers, so a block through either conversation covers both. Payloads as Meta documents
 * them: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */
describe('blocking a person known by number and BSUID', () => {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
  const conv = (key: string) => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${key}`)}`;
  const wamid = () => `wamid.${randomBytes(12).toString('base64url')}`;
  const text = (who: { from?: string; userId?: string }, body: string, at = nowSeconds(), id = wamid()) => ({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID },
      contacts: [{ profile: { name: 'Mallory' }, ...(who.from ? { wa_id: who.from } : {}), ...(who.userId ? { user_id: who.userId } : {}) }],
      messages: [{ ...(who.from ? { from: who.from } : {}), ...(who.userId ? { from_user_id: who.userId } : {}), id, timestamp: String(at), type: 'text', text: { body } }],
    } }] }],
  });
  const deliver = async (body: object) => expect(await rig.simulator.deliverWebhook(body)).toMatchObject({ finalStatus: 200 });
  const inboundCount = async (path: string) => (await rig.request('GET', path)).body.inboundCount as number;
  const sentTo = (phone: string, bsuid: string) => rig.simulator.sent().filter((m) => m.to === phone || m.recipient === bsuid || m.to === bsuid).length;
  const samePerson = (phone: string, bsuid: string) =>
    eventually(() => rig.request('GET', `/v1/customers?identifier=${encodeURIComponent(bsuid)}`), (r) => r.body.conversations?.length === 2 && r.body.waId === phone);

  it('blocked through the BSUID conversation: sends on the number conversation refused, their messages there kept unrouted; unblock through the other reopens both', async () => {
    const phone = newCustomer();
    const bsuid = `US.${digits(20)}`;
    await deliver(text({ from: phone }, 'by number', nowSeconds() - 60));
    await eventually(() => rig.request('GET', conv(phone)), (r) => r.body.inboundCount === 1);
    await deliver(text({ userId: bsuid }, 'by BSUID', nowSeconds() - 30));
    await eventually(() => rig.request('GET', conv(bsuid)), (r) => r.body.inboundCount === 1);
    await deliver(text({ from: phone, userId: bsuid }, 'both at last', nowSeconds() - 10));
    const person = await samePerson(phone, bsuid);
    // The BSUID conversation ends; the number's goes on, and is where their next messages go.
    expect((await rig.request('POST', `${conv(bsuid)}/close`, {})).status).toBe(200);

    const blocked = await rig.requestAs('supervisor', 'POST', `${conv(bsuid)}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ blocked: true, waId: phone, customerId: person.body.id });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).toContain(phone);

    const sentBefore = sentTo(phone, bsuid);
    const refused = await rig.request('POST', `${conv(phone)}/messages`, { message: { type: 'text', text: 'Hello?' } });
    expect(refused).toMatchObject({ status: 409, body: { code: 'customer_blocked' } });

    // Written before the block, delivered after it, under either identifier: kept, not routed.
    const before = await inboundCount(conv(phone));
    const late = [wamid(), wamid()];
    await deliver(text({ from: phone }, 'by number again', nowSeconds(), late[0]));
    await deliver(text({ userId: bsuid }, 'by BSUID again', nowSeconds(), late[1]));
    expect(await rig.store.messages.countDocuments({ wamid: { $in: late } })).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await inboundCount(conv(phone))).toBe(before);
    expect(sentTo(phone, bsuid)).toBe(sentBefore);

    const unblocked = await rig.requestAs('agent', 'DELETE', `${conv(phone)}/block`);
    expect(unblocked).toMatchObject({ status: 200, body: { blocked: false } });
    expect(rig.simulator.blocked(BUSINESS_NUMBER_ID)).not.toContain(phone);
    expect(await rig.store.db.collection('blocked_users').countDocuments({ user: phone })).toBe(0);
    expect((await rig.request('POST', `${conv(phone)}/messages`, { message: { type: 'text', text: 'How can we help?' } })).status).toBe(202);
    await deliver(text({ userId: bsuid }, 'sorry'));
    await eventually(() => rig.request('GET', conv(phone)), (r) => r.body.inboundCount === before + 1);
  }, 60_000);

  it('keeps a block when the blocked customer is found later to be someone already known: the merged person is blocked', async () => {
    const phone = newCustomer();
    const bsuid = `US.${digits(20)}`;
    // Known first by BSUID alone (the older customer, who survives the merge), then by number alone.
    await deliver(text({ userId: bsuid }, 'by BSUID', nowSeconds() - 60));
    await eventually(() => rig.request('GET', conv(bsuid)), (r) => r.body.inboundCount === 1);
    await deliver(text({ from: phone }, 'by number', nowSeconds() - 30));
    await eventually(() => rig.request('GET', conv(phone)), (r) => r.body.inboundCount === 1);
    expect((await rig.requestAs('supervisor', 'POST', `${conv(phone)}/block`)).status).toBe(200);

    // A message written before the block names both: one person now, and still blocked.
    await deliver(text({ from: phone, userId: bsuid }, 'both at last', nowSeconds() - 10));
    await samePerson(phone, bsuid);
    const sentBefore = sentTo(phone, bsuid);
    const refused = await rig.request('POST', `${conv(bsuid)}/messages`, { message: { type: 'text', text: 'Hello?' } });
    expect(refused).toMatchObject({ status: 409, body: { code: 'customer_blocked' } });
    expect(sentTo(phone, bsuid)).toBe(sentBefore);

    expect((await rig.requestAs('supervisor', 'DELETE', `${conv(bsuid)}/block`)).status).toBe(200);
    expect((await rig.request('POST', `${conv(bsuid)}/messages`, { message: { type: 'text', text: 'How can we help?' } })).status).toBe(202);
    expect((await rig.request('POST', `${conv(phone)}/messages`, { message: { type: 'text', text: 'How can we help?' } })).status).toBe(202);
  }, 60_000);
});
