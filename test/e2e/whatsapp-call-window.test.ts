/**
 * A WhatsApp user's call opens or refreshes the customer service window, answered or not: Meta's Calling API pricing
 * page, "the customer service window now also starts or refreshes for calls: when a WhatsApp user calls you,
 * regardless of if you accept the call or not"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/), 24 h like a message
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows).
 * Through the real stack: Meta's user-initiated `calls` webhook `connect` (the user-initiated calls page's example,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/) signed and
 * delivered by the simulator → the customer's conversation is open → a free-form reply is accepted and reaches the
 * broker; a redelivered connect changes nothing.
 */
import { signBody } from '../../simulator/cloud-api.payloads';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

const DISPLAY = '12025550109';
const DAY = 24 * 60 * 60 * 1000;
let rig: ServiceRig;
let next = 15559100000 + Math.floor(Math.random() * 800_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** Meta's user-initiated `connect` (Meta's example on the user-initiated calls page, our ids and times). */
function connectWebhook(customer: string, wacid: string, timestampSeconds: number) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA_ID,
        changes: [
          {
            field: 'calls',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: DISPLAY, phone_number_id: BUSINESS_NUMBER_ID },
              contacts: [{ profile: { name: 'Pablo' }, wa_id: customer }],
              calls: [
                {
                  id: wacid,
                  to: DISPLAY,
                  from: customer,
                  event: 'connect',
                  timestamp: String(timestampSeconds),
                  direction: 'USER_INITIATED',
                  session: { sdp_type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** A delivery as Meta makes it again (signed), answering the webhook's own summary. */
async function redeliver(body: object): Promise<{ status: number; received: Record<string, number> }> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, 'e2e-app-secret') }, body: raw });
  return { status: res.status, received: ((await res.json()) as { received: Record<string, number> }).received };
}

const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);

describe("a WhatsApp user's call opens the customer service window", () => {
  it('a customer who never wrote calls: the conversation is open for 24 h from the call, a free-form reply goes out; a redelivery changes nothing', async () => {
    const customer = newCustomer();
    const calledAt = Math.floor(Date.now() / 1000) - 5;
    const body = connectWebhook(customer, `wacid.window-${customer}`, calledAt);
    expect((await rig.simulator.deliverWebhook(body)).finalStatus).toBe(200);

    const opened = await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
    expect(opened.body).toMatchObject({ state: 'openSession', windowClosesAt: new Date(calledAt * 1000 + DAY).toISOString(), inboundCount: 0, lastInboundAt: null, lastCalledAt: new Date(calledAt * 1000).toISOString() });

    const reply = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Sorry we missed your call. How can we help?' } });
    expect(reply.status).toBe(202);
    await eventually(async () => sentTo(customer), (sent) => sent.length === 1, 20_000);
    expect(sentTo(customer)[0]!.body).toMatchObject({ messaging_product: 'whatsapp', to: customer, type: 'text', text: { body: 'Sorry we missed your call. How can we help?' } });

    // Meta delivers the same connect again: stored once, the conversation unchanged (no second window move, no message).
    const again = await redeliver(body);
    expect(again).toMatchObject({ status: 200, received: { callEvents: 0, messages: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await rig.request('GET', path(customer));
    expect(after.body).toMatchObject({ state: 'openSession', windowClosesAt: opened.body.windowClosesAt, inboundCount: 0, outboundCount: 1 });
    const thread = await rig.request('GET', path(customer, '/messages'));
    // No line that looks like the customer wrote: only our reply (the call is listed under `calls`).
    expect(thread.body.messages.map((m: { direction: string }) => m.direction)).toEqual(['outbound']);

    // Closed on request: a connect Meta delivers yet again does not start the conversation over.
    expect((await rig.request('POST', path(customer, '/close'), {})).status).toBe(200);
    expect((await redeliver(body)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await rig.request('GET', path(customer))).body).toMatchObject({ state: 'closed', closedReason: 'requested' });
  }, 90_000);

  it('a customer whose window expired calls: the window reopens for 24 h from the call', async () => {
    const customer = newCustomer();
    // Their last message was written 25 h ago: its window has passed, only a template may go.
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi', timestamp: Math.floor((Date.now() - 25 * 60 * 60 * 1000) / 1000) });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.state === 'expiredNeedsTemplate', 20_000);
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'too late' } })).status).toBe(409);

    const calledAt = Math.floor(Date.now() / 1000);
    expect((await rig.simulator.deliverWebhook(connectWebhook(customer, `wacid.reopen-${customer}`, calledAt))).finalStatus).toBe(200);
    const reopened = await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession', 20_000);
    expect(reopened.body.windowClosesAt).toBe(new Date(calledAt * 1000 + DAY).toISOString());
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Thanks for calling' } })).status).toBe(202);
  }, 90_000);

  it('a call 24 h old opens nothing', async () => {
    const customer = newCustomer();
    const old = connectWebhook(customer, `wacid.old-${customer}`, Math.floor((Date.now() - DAY - 60_000) / 1000));
    expect((await rig.simulator.deliverWebhook(old)).finalStatus).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The call is the conversation's only content: found (README "A conversation of calls alone"), with no window.
    const conversation = await rig.request('GET', path(customer));
    expect(conversation.status).toBe(200);
    expect(conversation.body).toMatchObject({ state: 'closed', windowOpen: false, windowClosesAt: null, inboundCount: 0 });
  }, 60_000);

  it('a connect dated 30 days ahead shows the call at its receipt, never in the future, as the window counts it', async () => {
    const customer = newCustomer();
    const before = Date.now();
    const ahead = Math.floor((before + 30 * DAY) / 1000);
    expect((await rig.simulator.deliverWebhook(connectWebhook(customer, `wacid.ahead-${customer}`, ahead))).finalStatus).toBe(200);
    const opened = await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
    const after = Date.now();
    // The window is capped at 24 h from receipt; lastCalledAt is that receipt too, not 30 days ahead.
    expect(Date.parse(opened.body.windowClosesAt)).toBeLessThanOrEqual(after + DAY);
    expect(Date.parse(opened.body.lastCalledAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(opened.body.lastCalledAt)).toBeLessThanOrEqual(after);
    const thread = await rig.request('GET', path(customer, '/messages'));
    expect(thread.body.calls).toHaveLength(1);
    expect(Date.parse(thread.body.calls[0].at)).toBeLessThanOrEqual(after);
  }, 60_000);

  it("when the window a call opened has passed, a free-form send is refused 409 saying when the customer's last WhatsApp call was", async () => {
    const customer = newCustomer();
    // Called 24 h minus 6 s ago (delivered late, still within its 24 h): the window closes in 6 s.
    const calledAt = Math.floor((Date.now() - DAY) / 1000) + 6;
    expect((await rig.simulator.deliverWebhook(connectWebhook(customer, `wacid.expiring-${customer}`, calledAt))).finalStatus).toBe(200);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'expiredNeedsTemplate', 30_000);

    const refused = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Sorry we missed you' } });
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    const called = new Date(calledAt * 1000).toISOString();
    const closed = new Date(calledAt * 1000 + DAY).toISOString();
    expect(refused.body).toMatchObject({
      code: 'template_required',
      detail: `The customer's last WhatsApp call was at ${called}; the 24-hour customer service window closed at ${closed}. Send one of the approved templates instead.`,
    });
    expect(sentTo(customer)).toHaveLength(0);
  }, 90_000);
});
