/**
 * What the simulator judges by the customer messages it delivered: mark-as-read, as Meta's mark-messages-as-read page
 * says (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read: "Mark
 * incoming messages as read within 30 days of receipt"; "If you mark a message as read with an invalid message ID,
 * the API returns error code 131009 ("Parameter value is not valid"). Provide a valid wamid from a received message"),
 * and reactions the business sends, as Meta's reaction-messages page describes them
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/reaction-messages):
 * - "When you send a reaction message, WhatsApp triggers only a sent message webhook (status set to sent); it does
 *   not trigger delivered or read message webhooks."
 * - "If the message you are reacting to is more than 30 days old, doesn't correspond to any message in the chat
 *   thread, has been deleted, or is itself a reaction message, the reaction message will not be delivered and you will
 *   receive a messages webhook with error code 131009": the send is answered, then a `failed` status with 131009.
 * The simulator judges only messages it delivered itself: a wamid it never saw is delivered as usual.
 */
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { startStatusSink, type StatusSink } from '../support/status-sink';

const TOKEN = 'sim-token';
const NUMBER = '106540352242922';
const CUSTOMER = '16505551234';
let sim: BrokerSimulator;
let hook: StatusSink;
let statuses: StatusSink['statuses'];

beforeAll(async () => {
  hook = await startStatusSink();
  statuses = hook.statuses;
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', statusDelayMs: 5, webhookUrl: hook.url });
});
afterAll(async () => {
  await sim?.close();
  await hook?.close();
});

/** Meta's request body from the reaction-messages page. */
const react = (messageId: string, to = CUSTOMER) =>
  fetch(`${sim.url}/v23.0/${NUMBER}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'reaction', reaction: { message_id: messageId, emoji: '\u{1F600}' } }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

const statusesOf = (wamid: string) => statuses.filter((s) => s.id === wamid);
/**
 * Until the send's first status has come (up to 10 s: CI runs the suite on two loaded cores), then 200 ms more, so a
 * second status the simulator would wrongly send (statusDelayMs 5) has come too.
 */
const settle = async (wamid: string) => {
  const until = Date.now() + 10_000;
  while (statusesOf(wamid).length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 200));
};
const DAY_S = 24 * 60 * 60;

describe("a business's reaction, as Meta's reaction-messages page tells it", () => {
  it('is followed by a sent status only, never delivered or read', async () => {
    const { wamid } = await sim.sendInboundText({ phoneNumberId: NUMBER, from: CUSTOMER, text: 'Perfect, thank you!' });
    const answer = await react(wamid);
    expect(answer).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
    await settle(answer.body.messages[0].id as string);
    expect(statusesOf(answer.body.messages[0].id).map((s) => s.status)).toEqual(['sent']);
  });

  it.each([
    ['more than 30 days old', async () => (await sim.sendInboundText({ phoneNumberId: NUMBER, from: CUSTOMER, text: 'old', timestamp: Math.floor(Date.now() / 1000) - 31 * DAY_S })).wamid, CUSTOMER, '30 days'],
    ['itself a reaction', async () => (await sim.sendInboundMessage({ phoneNumberId: NUMBER, from: CUSTOMER, type: 'reaction', content: { message_id: 'wamid.x', emoji: '\u{1F44D}' } })).wamid, CUSTOMER, 'reaction'],
    ["another customer's message (not in this conversation)", async () => (await sim.sendInboundText({ phoneNumberId: NUMBER, from: '16505550000', text: 'mine' })).wamid, CUSTOMER, 'conversation'],
  ])('on a message %s: answered, then failed with 131009', async (_name, target, to, why) => {
    const answer = await react(await target(), to);
    expect(answer.status).toBe(200);
    await settle(answer.body.messages[0].id as string);
    const [failed, ...more] = statusesOf(answer.body.messages[0].id as string);
    expect(more).toEqual([]);
    expect(failed).toMatchObject({ status: 'failed', errors: [{ code: 131009, title: 'Parameter value is not valid', error_data: { details: expect.stringContaining(why) } }] });
  });

  it('is delivered as usual on a wamid the simulator never delivered (it cannot judge it)', async () => {
    const answer = await react('wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=');
    await settle(answer.body.messages[0].id as string);
    expect(statusesOf(answer.body.messages[0].id as string).map((s) => s.status)).toEqual(['sent']);
  });
});

/** Meta's request body from the mark-messages-as-read page. */
const markRead = (messageId: string) =>
  fetch(`${sim.url}/v23.0/${NUMBER}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', status: 'read', message_id: messageId }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

describe("mark as read, as Meta's mark-messages-as-read page tells it", () => {
  it('marks a received message read', async () => {
    const { wamid } = await sim.sendInboundText({ phoneNumberId: NUMBER, from: CUSTOMER, text: 'Hello' });
    expect(await markRead(wamid)).toEqual({ status: 200, body: { success: true } });
  });

  it('refuses with 131009 a message received more than 30 days ago, and one the business sent itself', async () => {
    const old = await sim.sendInboundText({ phoneNumberId: NUMBER, from: CUSTOMER, text: 'old', timestamp: Math.floor(Date.now() / 1000) - 31 * DAY_S });
    const refusedOld = await markRead(old.wamid);
    expect(refusedOld).toMatchObject({ status: 400, body: { error: { code: 131009, message: '(#131009) Parameter value is not valid', error_data: { details: expect.stringContaining('30 days') } } } });
    const { wamid } = await sim.sendInboundText({ phoneNumberId: NUMBER, from: CUSTOMER, text: 'Hello' });
    const ours = (await react(wamid)).body.messages[0].id as string;
    expect(await markRead(ours)).toMatchObject({ status: 400, body: { error: { code: 131009, error_data: { details: expect.stringContaining('received') } } } });
    expect(sim.reads().some((r) => r.messageId === old.wamid || r.messageId === ours)).toBe(false);
  });
});
