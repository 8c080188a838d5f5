/**
 * Meta's call status webhook for a business-initiated call made through the Graph API (field `calls`,
 * `value.statuses[]` with `type: "call"` and `status` RINGING, ACCEPTED or REJECTED, beside the `connect` and
 * `terminate` events): https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 * A documented payload is taken (200, no dead letter), each status is stored once however often delivered, the call
 * shows in the thread from it, and the user accepting the call opens their customer service window ("When a WhatsApp
 * user accepts your call", https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
 */
import { signBody } from '../../simulator/cloud-api.payloads';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

const DISPLAY = '12025550109';
let rig: ServiceRig;
let next = 15559300000 + Math.floor(Math.random() * 600_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** Meta's call status webhook (the business-initiated calls page's shape, our ids and times). */
function statusWebhook(customer: string, wacid: string, status: string, timestampSeconds: number) {
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
              statuses: [{ id: wacid, timestamp: String(timestampSeconds), type: 'call', status, recipient_id: customer, biz_opaque_callback_data: 'crm-4711' }],
            },
          },
        ],
      },
    ],
  };
}

async function deliver(body: object): Promise<{ status: number; received: Record<string, number> }> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, 'e2e-app-secret') }, body: raw });
  return { status: res.status, received: ((await res.json()) as { received: Record<string, number> }).received };
}

describe("Meta's call status webhook (business-initiated calls)", () => {
  it('RINGING then ACCEPTED: each stored once, the call answered in the thread, the window open 24 h from the acceptance', async () => {
    const customer = newCustomer();
    const wacid = `wacid.status-${customer}`;
    const rangAt = Math.floor(Date.now() / 1000) - 10;
    const ringing = await deliver(statusWebhook(customer, wacid, 'RINGING', rangAt));
    expect(ringing).toMatchObject({ status: 200, received: { callEvents: 1, deadLetters: 0, ignoredChanges: 0 } });
    const accepted = statusWebhook(customer, wacid, 'ACCEPTED', rangAt + 4);
    expect(await deliver(accepted)).toMatchObject({ status: 200, received: { callEvents: 1, deadLetters: 0 } });
    // Meta delivers it again: nothing new.
    expect(await deliver(accepted)).toMatchObject({ status: 200, received: { callEvents: 0, deadLetters: 0 } });
    expect(await rig.store.db.collection('call_events').countDocuments({ wacid })).toBe(2);

    const open = await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
    expect(open.body).toMatchObject({ windowClosesAt: new Date((rangAt + 4) * 1000 + 86_400_000).toISOString(), lastCalledAt: new Date((rangAt + 4) * 1000).toISOString(), inboundCount: 0 });
    const thread = await rig.request('GET', path(customer, '/messages'));
    expect(thread.body.calls).toEqual([{ kind: 'call', wacid, direction: 'outbound', at: new Date(rangAt * 1000).toISOString(), outcome: 'answered' }]);
  }, 60_000);

  it('REJECTED: stored, no window opened; the conversation of this call alone is found by every route alike, closed, its thread listing the call', async () => {
    const customer = newCustomer();
    const wacid = `wacid.rejected-${customer}`;
    const at = Math.floor(Date.now() / 1000) - 5;
    expect(await deliver(statusWebhook(customer, wacid, 'RINGING', at))).toMatchObject({ status: 200, received: { callEvents: 1, deadLetters: 0 } });
    expect(await deliver(statusWebhook(customer, wacid, 'REJECTED', at + 3))).toMatchObject({ status: 200, received: { callEvents: 1, deadLetters: 0 } });
    const thread = await rig.request('GET', path(customer, '/messages'));
    expect(thread.status).toBe(200);
    expect(thread.body.calls).toEqual([{ kind: 'call', wacid, direction: 'outbound', at: new Date(at * 1000).toISOString(), outcome: 'rejected' }]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // No window (a rejected call opens none), and no 404 beside a thread that lists the call.
    const conversation = await rig.request('GET', path(customer));
    expect(conversation.status).toBe(200);
    expect(conversation.body).toMatchObject({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}`, businessNumberId: BUSINESS_NUMBER_ID, customer: { key: customer, waId: customer }, state: 'closed', windowOpen: false, closedReason: null, inboundCount: 0, outboundCount: 0, lastMessages: [] });
    expect(conversation.body.lastCalledAt).toBeUndefined(); // the business called, not the customer
    // A free-form reply is refused as in any closed conversation (a template starts it), and nothing goes to WhatsApp.
    const sentBefore = rig.simulator.sent().length;
    const reply = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Sorry we missed you' } });
    expect(reply).toMatchObject({ status: 409, body: { code: 'conversation_closed' } });
    expect(rig.simulator.sent()).toHaveLength(sentBefore);
  }, 60_000);

  it('a status the page does not list (BUSY) is acknowledged and kept as a dead letter (status_unreadable), not stored; a redelivery counts no second letter', async () => {
    const customer = newCustomer();
    const wacid = `wacid.busy-${customer}`;
    const at = Math.floor(Date.now() / 1000) - 5;
    const busy = statusWebhook(customer, wacid, 'BUSY', at);
    expect(await deliver(busy)).toMatchObject({ status: 200, received: { callEvents: 0, deadLetters: 1 } });
    // Meta delivers it again: the one letter is kept already, none is added, and the answer says so.
    expect(await deliver(busy)).toMatchObject({ status: 200, received: { callEvents: 0, deadLetters: 0 } });
    expect(await rig.store.db.collection('call_events').countDocuments({ wacid })).toBe(0);
    const letters = (await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?reason=status_unreadable')).body.deadLetters as { raw?: string; detail?: string; field?: string }[];
    const ours = letters.filter((l) => l.raw?.includes(wacid));
    expect(ours).toEqual([expect.objectContaining({ field: 'calls', detail: expect.stringContaining('"BUSY"') })]);
    expect(ours[0]!.detail).toContain('RINGING, ACCEPTED, REJECTED');
    const thread = await rig.request('GET', path(customer, '/messages'));
    expect(thread.body.calls ?? []).toEqual([]);
  }, 60_000);
});
