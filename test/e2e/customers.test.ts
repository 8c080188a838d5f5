import { randomBytes } from 'node:crypto';
import { upsertTemplate } from '../../store/templates.store';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * One customer, one conversation, built from Meta's documented payloads (written out here, not the simulator's
 * builders): https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/ and
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 */
let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
  await rig.approveTemplate('order_update');
  await upsertTemplate(rig.store, {
    businessNumberId: BUSINESS_NUMBER_ID, name: 'login_code', language: 'en_US', category: 'authentication', status: 'APPROVED', body: 'Your code is {{1}}', updatedAt: new Date(),
  });
}, 60_000);
afterAll(async () => rig?.stop());

const rand = (digits: number) => Array.from({ length: digits }, () => Math.floor(Math.random() * 10)).join('');
const seconds = () => Math.floor(Date.now() / 1000);
const wamid = () => `wamid.${randomBytes(12).toString('base64url')}`;
const conv = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (id: string, rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;

interface Sender { from?: string; userId?: string; parentUserId?: string; username?: string; name?: string }
const value = (extra: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID }, ...extra } }] }],
});
/** A text message as 2026 payloads carry it: the username inside `contacts[].profile`. */
const text = (who: Sender, body: string, at = seconds(), id = wamid()) =>
  value({
    contacts: [{ profile: { name: who.name ?? 'Ada', ...(who.username ? { username: who.username } : {}) }, ...(who.from ? { wa_id: who.from } : {}), ...(who.userId ? { user_id: who.userId } : {}), ...(who.parentUserId ? { parent_user_id: who.parentUserId } : {}) }],
    messages: [{ ...(who.from ? { from: who.from } : {}), ...(who.userId ? { from_user_id: who.userId } : {}), id, timestamp: String(at), type: 'text', text: { body } }],
  });
const deliver = async (body: object) => expect(await rig.simulator.deliverWebhook(body)).toMatchObject({ finalStatus: 200 });
/** The conversation once its workflow has handled the customer's message (the window is open in the read model). */
const opened = (id: string) => eventually(() => rig.request('GET', path(id)), (r) => r.body.state === 'openSession');
const thread = (id: string, n: number) => eventually(() => rig.request('GET', path(id, '/messages')), (r) => r.body.messages?.length >= n);
const lookup = (identifier: string) => rig.request('GET', `/v1/customers?identifier=${encodeURIComponent(identifier)}`);

describe('one customer, one conversation', () => {
  it('keeps a customer in one conversation when their next message also carries a BSUID and username, and names them by every identifier', async () => {
    const phone = `1555${rand(7)}`;
    const bsuid = `US.${rand(20)}`;
    await deliver(text({ from: phone }, 'first, number only', seconds() - 5));
    await thread(conv(phone), 1);
    const parent = `US.ENT.${rand(20)}`;
    await deliver(text({ from: phone, userId: bsuid, parentUserId: parent, username: 'ada.lovelace' }, 'second, with BSUID'));
    const messages = await thread(conv(phone), 2);
    expect(messages.body.messages.map((m: { text: string }) => m.text)).toEqual(['first, number only', 'second, with BSUID']);
    expect((await rig.request('GET', path(conv(bsuid)))).status).toBe(404);
    await eventually(() => rig.request('GET', path(conv(phone))), (r) => r.body.inboundCount === 2);

    const byBsuid = await lookup(bsuid);
    expect(byBsuid.status).toBe(200);
    expect(byBsuid.body).toMatchObject({ waId: phone, userId: bsuid, username: 'ada.lovelace', profileName: 'Ada', conversationKey: phone });
    expect(byBsuid.body.identifiers).toEqual(
      expect.arrayContaining([{ kind: 'phone', value: phone }, { kind: 'bsuid', value: bsuid }, { kind: 'username', value: 'ada.lovelace' }]),
    );
    expect(byBsuid.body.conversations.map((c: { conversationId: string }) => c.conversationId)).toEqual([conv(phone)]);
    expect((await lookup('@Ada.Lovelace')).body.id).toBe(byBsuid.body.id);
    expect((await lookup(parent)).body).toMatchObject({ id: byBsuid.body.id, parentUserId: parent });
    expect((await lookup(`+${phone}`)).body.id).toBe(byBsuid.body.id);
    const byId = await rig.request('GET', `/v1/customers/${byBsuid.body.id}`);
    expect(byId.body).toEqual(byBsuid.body);
    expect((await rig.request('GET', `/v1/customers?conversationId=${encodeURIComponent(conv(phone))}`)).body.id).toBe(byBsuid.body.id);
    // An agent reads only people whose conversations they may read (AGENT_VISIBILITY=own): another agent holds this one.
    expect((await rig.requestAs('agent', 'GET', `/v1/customers/${byBsuid.body.id}`)).status).toBe(200);
    await rig.store.conversations.updateOne({ _id: conv(phone) }, { $set: { agentId: 'agent-2' } });
    expect(await rig.requestAs('agent', 'GET', `/v1/customers?identifier=${encodeURIComponent(bsuid)}`)).toMatchObject({ status: 404, body: { code: 'unknown_customer' } });
    expect((await rig.requestAs('agent', 'GET', `/v1/customers/${byBsuid.body.id}`)).status).toBe(404);
    expect((await rig.requestAs('supervisor', 'GET', `/v1/customers/${byBsuid.body.id}`)).status).toBe(200);
  });

  it('answers a username lookup with whoever holds the username now, without joining the two people', async () => {
    const [first, second] = [`US.${rand(20)}`, `US.${rand(20)}`];
    const handle = `sam${rand(6)}`;
    await deliver(text({ userId: first, username: handle }, 'I am Sam'));
    await deliver(text({ userId: first, username: `${handle}uel` }, 'now Samuel'));
    await deliver(text({ userId: second, username: handle }, 'the new Sam'));
    const now = await lookup(`@${handle}`);
    expect(now.body).toMatchObject({ userId: second, username: handle });
    expect((await lookup(first)).body.id).not.toBe(now.body.id);
    expect((await lookup(first)).body.username).toBe(`${handle}uel`);
  });

  it('makes one customer and one conversation when two webhooks for the same new person race', async () => {
    const phone = `1555${rand(7)}`;
    const bsuid = `US.${rand(20)}`;
    await Promise.all([deliver(text({ from: phone, userId: bsuid }, 'one')), deliver(text({ from: phone, userId: bsuid }, 'two')), deliver(text({ userId: bsuid }, 'three'))]);
    const person = await lookup(phone);
    expect((await lookup(bsuid)).body.id).toBe(person.body.id);
    const key = person.body.conversationKey;
    await thread(conv(key), 3);
    await eventually(() => rig.request('GET', path(conv(key))), (r) => r.body.inboundCount === 3);
    const all = await rig.request('GET', `/v1/conversations?businessNumberId=${BUSINESS_NUMBER_ID}&limit=500`);
    expect(all.body.conversations.filter((c: { customer: { key: string } }) => [phone, bsuid].includes(c.customer.key))).toHaveLength(1);
  });

  it('joins two customers found to be one person, and their next message goes to the conversation still running', async () => {
    const phone = `1555${rand(7)}`;
    const bsuid = `US.${rand(20)}`;
    await deliver(text({ from: phone }, 'by number', seconds() - 60));
    await opened(conv(phone));
    expect((await rig.request('POST', path(conv(phone), '/close'), {})).status).toBe(200);
    // Weeks later the number is hidden (username, out of the contact book): only the BSUID arrives, a second customer.
    await deliver(text({ userId: bsuid, username: 'ada2' }, 'by BSUID', seconds() - 30));
    await opened(conv(bsuid));
    await deliver(text({ from: phone, userId: bsuid }, 'both at last'));
    await eventually(() => rig.request('GET', path(conv(bsuid), '/messages')), (r) => r.body.messages?.some((m: { text?: string }) => m.text === 'both at last'));
    const person = await eventually(() => lookup(bsuid), (r) => r.body.conversations?.length === 2);
    expect((await lookup(phone)).body.id).toBe(person.body.id);
    expect(person.body.mergedFrom).toHaveLength(1);
    expect((await rig.request('GET', path(conv(phone)))).body.state).toBe('closed');
  });

  it('follows a merge on the very next message: the merged customer writes alone and joins the running conversation', async () => {
    const phone = `1555${rand(7)}`;
    const bsuid = `US.${rand(20)}`;
    await deliver(text({ from: phone }, 'by number', seconds() - 60));
    await opened(conv(phone));
    // A second customer, known by BSUID alone; their conversation ends. This API process has now read that they have
    // no link (is their own person), which it keeps for a while (README, *The customer registry on the hot path*).
    await deliver(text({ userId: bsuid }, 'by BSUID', seconds() - 30));
    await opened(conv(bsuid));
    expect((await rig.request('POST', path(conv(bsuid), '/close'), {})).status).toBe(200);
    // Both at once: one person; the older customer (by number) survives, and its conversation is the one running.
    await deliver(text({ from: phone, userId: bsuid }, 'both at last', seconds() - 10));
    await thread(conv(phone), 2);
    await deliver(text({ userId: bsuid }, 'BSUID alone again'));
    const messages = await thread(conv(phone), 3);
    expect(messages.body.messages.map((m: { text?: string }) => m.text)).toEqual(['by number', 'both at last', 'BSUID alone again']);
    expect((await rig.request('GET', path(conv(bsuid)))).body).toMatchObject({ state: 'closed', inboundCount: 1 });
  });

  it.each([
    ['Mexico', `521${'55'}${rand(8)}`, (id: string) => `+52 ${id.slice(3, 5)} ${id.slice(5, 9)} ${id.slice(9)}`],
    // An account registered before the ninth digit keeps 8 digits in its WhatsApp id; integrators write 9.
    ['Brazil', `5511${'8'}${rand(7)}`, (id: string) => `+55 11 9${id.slice(4)}`],
  ])('%s: an integrator writing the number another way reaches the conversation the customer opened, spending no unit', async (_country, waId, written) => {
    await deliver(text({ from: waId }, 'hola'));
    await opened(conv(waId));
    const sent = await rig.request('POST', '/v1/conversations', {
      businessNumberId: BUSINESS_NUMBER_ID,
      customer: { waId: written(waId) },
      template: { name: 'order_update', language: 'en_US' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.conversationId).toBe(conv(waId));
    await thread(conv(waId), 2);
    const received = await eventually(() => Promise.resolve(rig.simulator.sent()), (s) => s.some((m) => m.body.biz_opaque_callback_data === sent.body.messageId));
    expect(received.find((m) => m.body.biz_opaque_callback_data === sent.body.messageId)?.to).toBe(waId);
    // The window is open: no unit of the tier, under either way of writing the number.
    expect(await rig.store.db.collection('tier_customers').countDocuments({})).toBe(0);
  });

  it('re-points the person on user_changed_number: the next message from the new number joins their conversation, replies go to it', async () => {
    const oldPhone = `1555${rand(7)}`;
    const newPhone = `1555${rand(7)}`;
    const [oldBsuid, newBsuid] = [`US.${rand(20)}`, `US.${rand(20)}`];
    await deliver(text({ from: oldPhone, userId: oldBsuid }, 'before the change'));
    await opened(conv(oldBsuid));
    // Meta's system notice: no contacts array; the new number and BSUID, the previous BSUID.
    await deliver(value({
      messages: [{
        from: oldPhone, id: wamid(), timestamp: String(seconds()), type: 'system',
        system: { body: `User Ada changed from ${oldPhone} to ${newPhone}`, wa_id: newPhone, type: 'user_changed_number', user_id: newBsuid, previous_user_id: oldBsuid },
      }],
    }));
    const person = await eventually(() => lookup(newPhone), (r) => r.status === 200);
    expect(person.body).toMatchObject({ waId: newPhone, userId: newBsuid, formerPhones: [oldPhone], conversationKey: oldBsuid });
    expect((await lookup(oldPhone)).body.id).toBe(person.body.id);

    await deliver(text({ from: newPhone, userId: newBsuid }, 'after the change'));
    await eventually(() => rig.request('GET', path(conv(oldBsuid), '/messages')), (r) => r.body.messages?.some((m: { text?: string }) => m.text === 'after the change'));
    expect((await rig.request('GET', path(conv(newBsuid)))).status).toBe(404);
    const reply = await rig.request('POST', path(conv(oldBsuid), '/messages'), { message: { type: 'text', text: 'noted' } });
    expect(reply.status).toBe(202);
    const out = await eventually(() => Promise.resolve(rig.simulator.sent()), (s) => s.some((m) => m.body.biz_opaque_callback_data === reply.body.messageId));
    expect(out.find((m) => m.body.biz_opaque_callback_data === reply.body.messageId)?.to).toBe(newPhone);
  });

  it('sends to a customer known by BSUID alone through `recipient`, and refuses an authentication template up front', async () => {
    const bsuid = `US.${rand(20)}`;
    await deliver(text({ userId: bsuid, username: 'grace' }, 'hidden number'));
    await opened(conv(bsuid));
    const refused = await rig.request('POST', path(conv(bsuid), '/messages'), { message: { type: 'template', name: 'login_code', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }] } });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('bsuid_recipient_unsupported');
    const reply = await rig.request('POST', path(conv(bsuid), '/messages'), { message: { type: 'text', text: 'hello Grace' } });
    expect(reply.status).toBe(202);
    const out = await eventually(() => Promise.resolve(rig.simulator.sent()), (s) => s.some((m) => m.body.biz_opaque_callback_data === reply.body.messageId));
    const message = out.find((m) => m.body.biz_opaque_callback_data === reply.body.messageId)!;
    expect(message.recipient).toBe(bsuid);
    expect(message.to).toBeUndefined();
    expect(rig.simulator.sent().some((m) => (m.body.template as { name?: string } | undefined)?.name === 'login_code')).toBe(false);
  });

  it('messages a person listed twice in a campaign (once as 52, once as 521) once, and counts one unit', async () => {
    const local = `55${rand(8)}`;
    const created = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: 'order_update', language: 'en_US' },
      recipients: [{ waId: `521${local}` }, { waId: `52${local}` }],
      ratePerSecond: 10,
    }, { 'idempotency-key': `campaign-${rand(8)}` });
    expect(created.status).toBe(201);
    const done = await eventually(() => rig.request('GET', `/v1/campaigns/${created.body.campaignId}`), (r) => r.body.state === 'completed', 30_000);
    expect(done.body.counts).toMatchObject({ queued: 1, refused: 1 });
    expect(done.body.refusals).toEqual({ duplicate_recipient: 1 });
    const sends = rig.simulator.sent().filter((m) => m.to === `521${local}` || m.to === `52${local}`);
    expect(sends).toHaveLength(1);
  });
});
