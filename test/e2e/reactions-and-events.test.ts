/**
 * Reactions and events that are not the customer writing, end to end: what the thread shows, and that the window,
 * routing and automatic replies stay where Meta's rules leave them (see the README's per-type table).
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const WELCOME = 'Hello! An agent will be with you shortly.';
const UNSUPPORTED = 'We cannot read that yet.';
const seconds = (ms: number) => Math.floor(ms / 1000);

beforeAll(async () => {
  rig = await startService();
  const draft = await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', { autoReplies: { welcome: WELCOME, unsupportedType: UNSUPPORTED } });
  expect(draft.body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
}, 60_000);
afterAll(async () => rig?.stop());

const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);
const thread = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

/** A customer who wrote at `writtenAt` (unix s) and got the welcome reply; resolves with the conversation. */
async function customerWrote(customer: string, writtenAt: number) {
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'My parcel is late', timestamp: writtenAt });
  await eventually(() => Promise.resolve(sentTo(customer)), (sent) => sent.length === 1);
  return (await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 1)).body;
}

describe('reactions', () => {
  it("shows a 👍 under the agent's reply, takes it away when removed, and neither moves the window nor answers", async () => {
    const customer = newCustomer();
    const writtenAt = seconds(Date.now()) - 3_600;
    const before = await customerWrote(customer, writtenAt);
    const reply = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'It ships today.' } }, { 'idempotency-key': `r-${customer}` });
    expect(reply.status).toBe(202);
    const [delivered] = await eventually(() => Promise.resolve(sentTo(customer).filter((m) => m.type === 'text' && (m.body.text as { body: string }).body === 'It ships today.')), (s) => s.length === 1);
    await eventually(() => thread(customer), (t) => t.some((m) => m.wamid === delivered!.wamid));

    const reactedAt = seconds(Date.now());
    await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: delivered!.wamid, emoji: '👍', timestamp: reactedAt });
    const withReaction = await eventually(() => thread(customer), (t) => t.some((m) => m.reactions?.length));
    const reacted = withReaction.find((m) => m.wamid === delivered!.wamid)!;
    expect(reacted.reactions).toEqual([{ emoji: '👍', by: customer, at: new Date(reactedAt * 1000).toISOString() }]);
    expect(withReaction).toHaveLength(3); // the customer's message, the welcome reply and the agent's reply: no new message

    await settle();
    const after = (await rig.request('GET', path(customer))).body;
    expect(after).toMatchObject({ windowClosesAt: before.windowClosesAt, inboundCount: 1, lastInboundAt: before.lastInboundAt, state: before.state });
    expect(sentTo(customer)).toHaveLength(2); // welcome and the agent's reply; nothing answers a reaction

    await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: delivered!.wamid, timestamp: reactedAt + 5 });
    await eventually(() => thread(customer), (t) => t.every((m) => !m.reactions));
  });

  it('does not reopen a closed conversation, route it or answer it', async () => {
    const customer = newCustomer();
    await customerWrote(customer, seconds(Date.now()));
    const [welcome] = sentTo(customer);
    expect((await rig.request('POST', path(customer, '/close'), {})).status).toBe(200);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'closed');

    await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: welcome!.wamid, emoji: '❤️' });
    await eventually(() => thread(customer), (t) => t.some((m) => m.reactions?.[0]?.emoji === '❤️'));
    await settle();
    expect((await rig.request('GET', path(customer))).body).toMatchObject({ state: 'closed', inboundCount: 1 });
    expect(sentTo(customer)).toHaveLength(1);
  });

  it("attaches a reaction to the customer's own message too, and a redelivery counts once", async () => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'photo coming' });
    const reaction = await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: wamid, emoji: '😂' });
    await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: wamid, emoji: '😂', wamid: reaction.wamid });
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.reactions));
    expect(t.find((m) => m.wamid === wamid)!.reactions).toHaveLength(1);
  });
});

describe('events that are not the customer writing', () => {
  it('keeps a user_changed_number notice in the thread without moving the window, counting it or routing it', async () => {
    const customer = newCustomer();
    const before = await customerWrote(customer, seconds(Date.now()) - 7_200);
    const notice = await rig.simulator.sendSystemNotice({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, systemType: 'user_changed_number', newWaId: '15550009999', profileName: 'Ada' });
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.wamid === notice.wamid));
    expect(t.find((m) => m.wamid === notice.wamid)).toMatchObject({
      type: 'system',
      event: true,
      system: { type: 'user_changed_number', waId: '15550009999', body: `User Ada changed from ${customer} to 15550009999` },
    });
    await settle();
    expect((await rig.request('GET', path(customer))).body).toMatchObject({ windowClosesAt: before.windowClosesAt, lastInboundAt: before.lastInboundAt, inboundCount: 1 });
    expect(sentTo(customer)).toHaveLength(1);
  });

  it('marks a message the customer deleted or edited (Coexistence), without counting either as writing', async () => {
    const customer = newCustomer();
    await customerWrote(customer, seconds(Date.now()) - 60);
    const [first] = await thread(customer);
    const revoke = await rig.simulator.sendInboundMessage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'revoke', content: { original_message_id: first!.wamid } });
    const edit = await rig.simulator.sendInboundMessage({
      phoneNumberId: BUSINESS_NUMBER_ID,
      from: customer,
      type: 'edit',
      content: { original_message_id: first!.wamid, message: { type: 'text', text: { body: 'My parcel is very late' } } },
    });
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.revokedAt) && messages.some((m) => m.editedBy));
    expect(t.find((m) => m.wamid === first!.wamid)).toMatchObject({ editedBy: edit.wamid, revokedAt: expect.any(String) });
    expect(t.find((m) => m.wamid === revoke.wamid)).toMatchObject({ type: 'revoke', event: true, revoke: { originalMessageId: first!.wamid } });
    await settle();
    expect((await rig.request('GET', path(customer))).body.inboundCount).toBe(1);
  });

  it('starts no conversation for a customer who never wrote (user_changed_user_id, request_welcome)', async () => {
    const customer = newCustomer();
    await rig.simulator.sendSystemNotice({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, systemType: 'user_changed_user_id', newUserId: 'US.1234567890' });
    await rig.simulator.sendInboundMessage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'request_welcome' });
    await settle();
    expect((await rig.request('GET', path(customer))).status).toBe(404);
    expect(sentTo(customer)).toHaveLength(0);
    const t = await thread(customer);
    expect(t.map((m) => m.type)).toEqual(expect.arrayContaining(['system', 'request_welcome']));
  });
});
