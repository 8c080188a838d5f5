/**
 * A conversation id in a path takes the customer's number written as a body's `customer.waId` takes it
 * (`+15551234567`, `0015551234567`, `+1 555-123-4567`): the customer part is normalised to WhatsApp's wa_id (digits
 * with country code) before the look-up. A customer part that looks like a number but is none answers 400 saying the
 * id's form, not 404.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig;
const customer = `1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
const conversationId = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const get = (id: string, rest = '') => rig.request('GET', `/v1/conversations/${encodeURIComponent(id)}${rest}`);

beforeAll(async () => {
  rig = await startService();
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Where is my order?' });
  await eventually(() => get(conversationId), (r) => r.status === 200 && r.body.state === 'openSession', 20_000);
}, 60_000);
afterAll(async () => rig?.stop());

describe('conversation ids in paths', () => {
  const spaced = `+${customer.slice(0, 1)} ${customer.slice(1, 4)} ${customer.slice(4, 7)}-${customer.slice(7)}`;

  it.each([
    ['with a +', `+${customer}`],
    ['with 00', `00${customer}`],
    ['with spaces and a dash', spaced],
  ])('finds the conversation with the number written %s, answering its canonical id', async (_how, written) => {
    const answer = await get(`wa:${BUSINESS_NUMBER_ID}:${written}`);
    expect(answer).toMatchObject({ status: 200, body: { conversationId, state: 'openSession' } });
    const thread = await get(`wa:${BUSINESS_NUMBER_ID}:${written}`, '/messages');
    expect(thread.status).toBe(200);
    expect(thread.body.messages[0]).toMatchObject({ direction: 'inbound', text: 'Where is my order?' });
  });

  it('sends a reply through a path written with a +, into the same conversation', async () => {
    const sent = await rig.request('POST', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:+${customer}`)}/messages`, { message: { type: 'text', text: 'On its way' } });
    // The answer names the canonical id (SendAccepted.conversationId is required, so no fallback here).
    expect(sent).toMatchObject({ status: 202, body: { conversationId, status: 'queued' } });
    await eventually(() => get(conversationId, '/messages'), (r) => r.body.messages?.length === 2, 20_000);
    // WhatsApp got it, for the customer's wa_id.
    const received = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (m) => m.length === 1, 20_000);
    expect(received[0]!.body).toMatchObject({ type: 'text', text: { body: 'On its way' } });
  });

  it('answers 400 naming the form for a customer part that looks like a number but is none', async () => {
    const answer = await get(`wa:${BUSINESS_NUMBER_ID}:+1 555`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_request' });
    expect(answer.body.detail).toMatch(/digits with (the|its) country code/);
  });

  it('keeps a BSUID key and an unknown wa_id as they are: 404 unknown_conversation', async () => {
    expect(await get(`wa:${BUSINESS_NUMBER_ID}:US.1349120865530274`)).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
    expect(await get(`wa:${BUSINESS_NUMBER_ID}:15550000001`)).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
  });
});
