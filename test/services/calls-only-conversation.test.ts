/**
 * A conversation of calls alone (services/calls-only-conversation.ts, README "A conversation of calls alone") shows
 * the customer's last call as the conversation counts it: a `connect` dated ahead of its receipt (a clock running
 * fast at Meta) at its receipt, never in the future, as the machine does (lastCallAfter) and as
 * test/e2e/whatsapp-call-window.test.ts shows for a conversation the call started.
 *
 * Such a conversation has a stored `connect` and no workflow: the user's call was stored but its hand-over has not
 * happened yet (Temporal refused it and Meta will deliver it again), or the call is filed under the caller's wa_id
 * while their conversation is keyed on their user_id. The event is stored here as the webhook stores it
 * (api/webhook.calls.ts `ingestCallEvent`), without the hand-over, and read through the API.
 */
import { recordCallEvent } from '../../store/call-events.store';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

const DAY = 24 * 60 * 60 * 1000;
let rig: ServiceRig;
let next = 15559300000 + Math.floor(Math.random() * 90_000);
const newCustomer = () => String((next += 1));
const idOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

async function storeConnect(customer: string, wacid: string, at: number, receivedAt: Date) {
  const stored = await recordCallEvent(rig.store, {
    _id: `${wacid}:connect`,
    wacid,
    event: 'connect',
    direction: 'USER_INITIATED',
    businessNumberId: BUSINESS_NUMBER_ID,
    customer,
    conversationId: idOf(customer),
    at,
    receivedAt,
  });
  expect(stored).toBe('new');
}

describe('a conversation of calls alone', () => {
  it('shows a connect dated 30 days ahead of its receipt at its receipt, never in the future', async () => {
    const customer = newCustomer();
    const receivedAt = new Date(Date.now() - 60_000);
    await storeConnect(customer, `wacid.ahead-${customer}`, receivedAt.getTime() + 30 * DAY, receivedAt);

    const conversation = await rig.request('GET', `/v1/conversations/${encodeURIComponent(idOf(customer))}`);
    expect(conversation.status).toBe(200);
    expect(conversation.body).toMatchObject({ state: 'closed', windowOpen: false, windowClosesAt: null, inboundCount: 0, lastCalledAt: receivedAt.toISOString() });
  });

  it('shows a connect dated before its receipt at its own time, the latest of several calls', async () => {
    const customer = newCustomer();
    const now = Date.now();
    await storeConnect(customer, `wacid.first-${customer}`, now - 3 * DAY, new Date(now - 3 * DAY + 2_000));
    await storeConnect(customer, `wacid.second-${customer}`, now - 2 * DAY, new Date(now - 2 * DAY + 5_000));

    const conversation = await rig.request('GET', `/v1/conversations/${encodeURIComponent(idOf(customer))}`);
    expect(conversation.body).toMatchObject({ state: 'closed', lastCalledAt: new Date(now - 2 * DAY).toISOString() });
  });
});
