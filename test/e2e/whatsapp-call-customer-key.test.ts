/**
 * A customer's calls land in the conversation their messages use: the customer registry's key (README "Customers:
 * one person, one conversation"), which is their BSUID when WhatsApp gave one first, not `wa:<number>:<wa_id>`.
 * Meta's user-initiated `calls` webhook `connect` (the user-initiated calls page's example,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/) names the
 * caller by `from` (wa_id) and, since BSUIDs, `from_user_id` and `contacts[].user_id`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/); the call
 * opens or refreshes the customer service window (Calling API pricing page,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
 * Through the real stack: the simulator signs and delivers each webhook as Meta would.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { CALLS_DISPLAY_NUMBER, callStatusWebhook, callsWebhook } from '../support/call-status-payloads';
import { postSignedWebhook } from '../support/signed-webhook';
import { eventually } from '../support/workflow-env';

const HOUR = 60 * 60 * 1000;
let rig: ServiceRig;
let next = 15559300000 + Math.floor(Math.random() * 600_000);
const newPerson = () => {
  next += 1;
  return { waId: String(next), userId: `US.${next}${Math.floor(Math.random() * 1e9)}` };
};
const path = (key: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${key}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** Meta's `calls` change with one call event of the user's call; `userId`: the BSUID fields Meta adds. */
const callWebhook = (p: { waId?: string; userId?: string }, call: Record<string, unknown>) =>
  callsWebhook({
    contacts: [{ profile: { name: 'Ada' }, ...(p.waId ? { wa_id: p.waId } : {}), ...(p.userId ? { user_id: p.userId } : {}) }],
    calls: [{ to: CALLS_DISPLAY_NUMBER, ...(p.waId ? { from: p.waId } : {}), ...(p.userId ? { from_user_id: p.userId } : {}), direction: 'USER_INITIATED', ...call }],
  });

const connect = (p: { waId?: string; userId?: string }, wacid: string, atSeconds: number) =>
  callWebhook(p, { id: wacid, event: 'connect', timestamp: String(atSeconds), session: { sdp_type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } });
const terminate = (p: { waId?: string; userId?: string }, wacid: string, atSeconds: number) =>
  callWebhook(p, { id: wacid, event: 'terminate', timestamp: String(atSeconds + 30), status: 'COMPLETED', start_time: String(atSeconds + 2), end_time: String(atSeconds + 30), duration: 28 });

/** The person wrote 25 h ago (their window has passed); their conversation is keyed as the registry says. */
async function wroteLongAgo(from: { from?: string; userId: string }, key: string) {
  const timestamp = Math.floor((Date.now() - 25 * HOUR) / 1000);
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, ...from, text: 'hello', timestamp });
  await eventually(() => rig.request('GET', path(key)), (r) => r.status === 200 && r.body.state === 'expiredNeedsTemplate', 20_000);
}

/** The call shows in the thread of the conversation keyed `key`, the window opened there, and nowhere else. */
async function expectCallIn(key: string, waId: string, wacid: string, calledAt: number) {
  const opened = await eventually(() => rig.request('GET', path(key)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
  expect(opened.body).toMatchObject({ state: 'openSession', lastCalledAt: new Date(calledAt * 1000).toISOString(), windowClosesAt: new Date(calledAt * 1000 + 24 * HOUR).toISOString() });
  const thread = await eventually(() => rig.request('GET', path(key, '/messages')), (r) => r.status === 200 && (r.body.calls ?? []).length > 0, 20_000);
  expect(thread.body.messages.map((m: { direction: string }) => m.direction)).toEqual(['inbound']);
  expect(thread.body.calls).toHaveLength(1);
  expect(JSON.stringify(thread.body.calls[0])).toContain(wacid);
  // A free-form reply is accepted in that conversation: the window the call opened is its own.
  expect((await rig.request('POST', path(key, '/messages'), { message: { type: 'text', text: 'Sorry we missed you' } })).status).toBe(202);
  // No second conversation under the number: not its thread, not a conversation of calls alone.
  expect((await rig.request('GET', path(waId))).status).toBe(404);
}

/** Meta's status of a business-initiated call (business-initiated calls page), with the BSUID beside `recipient_id`. */
const callStatus = (p: { waId: string; userId: string }, wacid: string, status: 'RINGING' | 'ACCEPTED', atSeconds: number) =>
  callStatusWebhook(p.waId, wacid, status, atSeconds, { recipient_user_id: p.userId });

describe("a customer's call lands in the conversation of their messages (the registry's key)", () => {
  it('wrote with number and BSUID (keyed by BSUID), then calls: Meta names the number only; call and window are in the BSUID conversation', async () => {
    const person = newPerson();
    await wroteLongAgo({ from: person.waId, userId: person.userId }, person.userId);
    const wacid = `wacid.key-${person.waId}`;
    const calledAt = Math.floor(Date.now() / 1000) - 40;
    expect((await rig.simulator.deliverWebhook(connect({ waId: person.waId }, wacid, calledAt))).finalStatus).toBe(200);
    expect((await rig.simulator.deliverWebhook(terminate({ waId: person.waId }, wacid, calledAt))).finalStatus).toBe(200);
    await expectCallIn(person.userId, person.waId, wacid, calledAt);
    // Their call permission is read for the BSUID conversation, at the number the registry knows for them.
    const permission = await rig.request('GET', path(person.userId, '/call-permission'));
    expect(permission.status).toBe(200);
    expect(permission.body).toMatchObject({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${person.userId}`, customerNumber: person.waId, state: 'none', canCall: false });
  }, 90_000);

  it('wrote by BSUID alone (no number), then calls: Meta names number and from_user_id; call and window are in the BSUID conversation', async () => {
    const person = newPerson();
    await wroteLongAgo({ userId: person.userId }, person.userId);
    const wacid = `wacid.bsuid-${person.waId}`;
    const calledAt = Math.floor(Date.now() / 1000) - 40;
    expect((await rig.simulator.deliverWebhook(connect(person, wacid, calledAt))).finalStatus).toBe(200);
    expect((await rig.simulator.deliverWebhook(terminate(person, wacid, calledAt))).finalStatus).toBe(200);
    await expectCallIn(person.userId, person.waId, wacid, calledAt);
    // The registry now knows the number is this person: it names the BSUID conversation.
    const customer = await rig.request('GET', `/v1/customers?identifier=${person.waId}`);
    expect(customer.status).toBe(200);
    expect(JSON.stringify(customer.body)).toContain(person.userId);
  }, 90_000);

  it("wrote by BSUID alone, then accepts the business's call: Meta's statuses name recipient_user_id; the window opens in the BSUID conversation", async () => {
    const person = newPerson();
    await wroteLongAgo({ userId: person.userId }, person.userId);
    const wacid = `wacid.accepted-${person.waId}`;
    const rangAt = Math.floor(Date.now() / 1000) - 40;
    expect((await rig.simulator.deliverWebhook(callStatus(person, wacid, 'RINGING', rangAt))).finalStatus).toBe(200);
    expect((await rig.simulator.deliverWebhook(callStatus(person, wacid, 'ACCEPTED', rangAt + 5))).finalStatus).toBe(200);
    await expectCallIn(person.userId, person.waId, wacid, rangAt + 5);
  }, 90_000);

  it('named by BSUID alone (the number left out), the call lands in their conversation; a call naming nobody is a dead letter', async () => {
    const person = newPerson();
    await wroteLongAgo({ userId: person.userId }, person.userId);
    const wacid = `wacid.only-${person.waId}`;
    const calledAt = Math.floor(Date.now() / 1000) - 40;
    expect((await rig.simulator.deliverWebhook(connect({ userId: person.userId }, wacid, calledAt))).finalStatus).toBe(200);
    await expectCallIn(person.userId, person.waId, wacid, calledAt);

    const answer = await postSignedWebhook(rig.baseUrl, connect({}, `wacid.nobody-${person.waId}`, calledAt));
    expect(answer.status).toBe(200);
    expect(answer.body.received).toMatchObject({ callEvents: 0, deadLetters: 1 });
  }, 90_000);

  it("a BSUID-keyed customer's call permission reply lets the business call them: the permission read for the conversation and its number is the one they gave", async () => {
    const person = newPerson();
    // Their reply to our call permission request, as Meta delivers it (user call permissions page), naming number and BSUID.
    const reply = { response: 'accept', is_permanent: false, expiration_timestamp: Math.floor(Date.now() / 1000) + 7 * 86_400 - 60, response_source: 'user_action' };
    const sent = await fetch(`${rig.simulator.url}/_sim/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, from: person.waId, userId: person.userId, type: 'interactive', content: { type: 'call_permission_reply', call_permission_reply: reply } }),
    });
    expect(sent.status).toBe(200);
    const permission = await eventually(() => rig.request('GET', path(person.userId, '/call-permission')), (r) => r.status === 200 && r.body.state !== 'none', 20_000);
    expect(permission.body).toMatchObject({ customerNumber: person.waId, state: 'granted', canCall: true, response: 'accept' });
  }, 60_000);
});
