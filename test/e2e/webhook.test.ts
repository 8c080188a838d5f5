import { combine, inboundTextWebhook, inboundUnsupportedWebhook, statusWebhook } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15559000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const seconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('Cloud API webhooks', () => {
  it('handles every entry, message and status of one batched body', async () => {
    const [ada, bo] = [newCustomer(), newCustomer()];
    const body = combine(
      inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: ada, text: 'first from Ada', timestamp: seconds() - 2 }),
      inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: bo, text: 'hello from Bo' }),
      inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: ada, text: 'second from Ada', timestamp: seconds() - 1 }),
      statusWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, wamid: 'wamid.unknown-yet', status: 'delivered' }),
    );
    const delivery = await rig.simulator.deliverWebhook(body);
    expect(delivery).toEqual({ attempts: 1, finalStatus: 200 });

    const adaThread = await eventually(() => rig.request('GET', path(ada, '/messages')), (r) => r.body.messages?.length === 2);
    expect(adaThread.body.messages.map((m: { text: string }) => m.text)).toEqual(['first from Ada', 'second from Ada']);
    await eventually(() => rig.request('GET', path(bo)), (r) => r.body.inboundCount === 1);
    await eventually(() => rig.request('GET', path(ada)), (r) => r.body.inboundCount === 2);
  });

  it('orders a thread by when messages were written, even when webhooks arrive out of order', async () => {
    const customer = newCustomer();
    const secondAt = seconds() - 10;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'second', timestamp: secondAt });
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'first', timestamp: secondAt - 10 });
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === 2);
    expect(thread.body.messages.map((m: { text: string }) => m.text)).toEqual(['first', 'second']);
    // The window runs from the newer message, not the one that arrived last.
    const conversation = await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 2);
    expect(conversation.body.windowClosesAt).toBe(new Date(secondAt * 1000 + 24 * 3600 * 1000).toISOString());
  });

  it('takes a message dated 30 days ahead as received now: the conversation never shows it in the future, and the reply comes after it in the thread', async () => {
    const customer = newCustomer();
    const before = Date.now();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'from a fast clock', timestamp: seconds() + 30 * 24 * 3600 });
    const opened = await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.inboundCount === 1);
    const after = Date.now();
    expect(Date.parse(opened.body.lastInboundAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(opened.body.lastInboundAt)).toBeLessThanOrEqual(after);
    expect(Date.parse(opened.body.windowClosesAt)).toBeLessThanOrEqual(after + 24 * 3600 * 1000);

    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'the reply' } })).status).toBe(202);
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === 2);
    expect(thread.body.messages.map((m: { text: string }) => m.text)).toEqual(['from a fast clock', 'the reply']);
  });

  it('moves statuses only forward, keeps a late failure, and records the pricing category', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'reply' } });
    const read = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.[1]?.status === 'read');
    const { wamid, id } = read.body.messages[1];

    // A redelivered `delivered` after `read` changes nothing.
    await rig.simulator.deliverWebhook(statusWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, wamid, status: 'delivered', pricingCategory: 'service' }));
    expect((await rig.request('GET', path(customer, '/messages'))).body.messages[1].status).toBe('read');

    await rig.simulator.deliverWebhook(
      statusWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, wamid, status: 'failed', error: { code: 131026, title: 'Message undeliverable', details: 'receiver incapable' } }),
    );
    const failed = (await rig.request('GET', path(customer, '/messages'))).body.messages[1];
    expect(failed).toMatchObject({ id, status: 'failed', pricingCategory: 'service', failure: { code: 131026, details: 'receiver incapable' } });
    // Each status is stored once, however often it came; the message keeps what the worker recorded.
    const statuses = await rig.store.deliveryStatuses.find({ wamid }).toArray();
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'failed', 'read', 'sent']);
    const stored = await rig.store.messages.findOne({ _id: id });
    expect(Object.keys((stored as { statusTimes: object }).statusTimes).sort()).toEqual(['accepted', 'queued']);
  });

  it("keeps a voice message's played status (Meta's status webhook reference) beside read, once however often it comes", async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'reply' } });
    const read = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.[1]?.status === 'read');
    const { wamid } = read.body.messages[1];
    const playedAt = seconds() - 5;
    const played = statusWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, wamid, status: 'played', timestamp: playedAt, recipientId: customer });
    const first = await rig.simulator.deliverWebhook(played);
    expect(first).toEqual({ attempts: 1, finalStatus: 200 });
    await rig.simulator.deliverWebhook(played);
    const message = (await rig.request('GET', path(customer, '/messages'))).body.messages[1];
    expect(message).toMatchObject({ status: 'read', playedAt: new Date(playedAt * 1000).toISOString() });
    expect((await rig.store.deliveryStatuses.find({ wamid, status: 'played' }).toArray()).length).toBe(1);
  });

  it('keeps the window the customer reopened when a 131047 for an earlier reply arrives late', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Are you still there?' } });
    const sent = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.[1]?.wamid !== undefined);
    await new Promise((r) => setTimeout(r, 1_100)); // WhatsApp timestamps are whole seconds: write strictly later
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'yes, here' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 2);

    const late = statusWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, wamid: sent.body.messages[1].wamid, status: 'failed', error: { code: 131047, title: 'Re-engagement message' } });
    expect(await rig.simulator.deliverWebhook(late)).toMatchObject({ finalStatus: 200 });
    await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.[1]?.status === 'failed');
    // The refusal is on the earlier reply; the window the customer reopened stays open for the next one.
    expect((await rig.request('GET', path(customer))).body).toMatchObject({ state: 'openSession', windowOpen: true });
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Glad you are back.' } })).status).toBe(202);
  });

  it('stores a type Meta adds later (or shapes unexpectedly) as unsupported, keeping the raw message, without disturbing the conversation', async () => {
    const customer = newCustomer();
    const body = inboundUnsupportedWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'poll_vote', content: { option: 2 } });
    expect(await rig.simulator.deliverWebhook(body)).toMatchObject({ finalStatus: 200 });
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === 1);
    expect(thread.body.messages[0]).toMatchObject({ direction: 'inbound', type: 'poll_vote', unsupported: { type: 'poll_vote', errors: [] } });
    const stored = await rig.store.messages.findOne({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}` });
    expect(stored).toMatchObject({ kind: 'unsupported', type: 'poll_vote' });
    expect(JSON.parse((stored as { raw: string }).raw).poll_vote).toEqual({ option: 2 });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');

    const odd = inboundUnsupportedWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'location', content: { lat: 'north' } });
    expect(await rig.simulator.deliverWebhook(odd)).toMatchObject({ finalStatus: 200 });
    const kept = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === 2);
    expect(kept.body.messages.find((m: { type: string }) => m.type === 'location')).toMatchObject({ type: 'location', unsupported: { type: 'location', errors: [{ code: 0, title: 'unreadable_payload' }] } });
  });

  it("reads the customer's username where Meta's payload carries it, contacts[].profile.username", async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
    const userId = `US.${Date.now()}${Math.floor(Math.random() * 1000)}`;
    const body = inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, userId, text: 'hi' });
    const value = body.entry[0]!.changes[0]!.value as { contacts: unknown[] };
    value.contacts[0] = { profile: { name: 'Ada', username: '@ada.lovelace' }, user_id: userId } as never;
    expect((await rig.simulator.deliverWebhook(body)).finalStatus).toBe(200);
    const conversation = await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${userId}`)}`), (r) => r.status === 200);
    expect(conversation.body.customer).toMatchObject({ userId, username: '@ada.lovelace', profileName: 'Ada' });
  });
});
