/**
 * The README's session: "The thread, in the order it was written: each message with its latest delivery status
 * (queued, accepted, sent, delivered, read or failed)". A reply answered `202 {"status":"queued"}` is in the thread at
 * once, as queued, even while it waits out WhatsApp's pair rate (about one message every 6 s to one customer) behind
 * the replies before it.
 */
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
const customer = String(15557100000 + Math.floor(Math.random() * 900_000));
const conversationId = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;

beforeAll(async () => {
  // WhatsApp's own pacing, as `npm start` runs it.
  rig = await startService({ limits: { ...defaultMessagingLimits, customerPacingMs: 6_000 } });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe('the thread shows every accepted reply', () => {
  // Found by a fresh user (2026-12-01): the outbound document was written only by the sendMessage activity, after the
  // paced wait, so a reply queued behind others was missing from the thread for up to 6 s per message ahead of it. The
  // conversation's projection now stores each accepted send as queued.
  it('lists three replies sent back to back as soon as each was answered 202, queued while they wait their turn', async () => {
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: 'Where is my order?' });
    await eventually(() => rig.request('GET', path()), (r) => r.status === 200 && r.body.state === 'openSession');

    const accepted: string[] = [];
    for (const text of ['burst 1', 'burst 2', 'burst 3']) {
      const reply = await rig.request('POST', path('/messages'), { message: { type: 'text', text } });
      expect(reply).toMatchObject({ status: 202, body: { status: 'queued' } });
      accepted.push(reply.body.messageId);
    }

    // Read at once: the third waits about 12 s for its turn at WhatsApp, and is already the integrator's message.
    const thread = await rig.request('GET', path('/messages'));
    const outbound = thread.body.messages.filter((m: { direction: string }) => m.direction === 'outbound');
    expect(outbound.map((m: { id: string }) => m.id)).toEqual(accepted);
    expect(outbound.map((m: { text: string }) => m.text)).toEqual(['burst 1', 'burst 2', 'burst 3']);
    expect(outbound[2]).toMatchObject({ status: 'queued' });
    expect(rig.simulator.sent().filter((m) => m.to === customer).length).toBeLessThan(3);
  }, 60_000);
});
