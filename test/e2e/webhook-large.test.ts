/**
 * A valid webhook is acknowledged within Meta's answer budget whatever its size: a POST carrying thousands of one
 * customer's messages is kept whole, answered 200 at once, and handed to the conversation in bounded batches.
 */
import { signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { APP_SECRET, BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** `count` text messages from one customer in one Cloud API body (compact, as an offline phone's backlog arrives). */
function backlogBody(from: string, count: number, tag: string) {
  const at = Math.floor(Date.now() / 1000) - count;
  const messages = Array.from({ length: count }, (_, i) => ({ from, id: `wamid.${tag}.${i}`, timestamp: String(at + i), type: 'text', text: { body: `m${i}` } }));
  const value = { messaging_product: 'whatsapp', metadata: { phone_number_id: BUSINESS_NUMBER_ID }, contacts: [{ profile: { name: 'Ada' }, wa_id: from }], messages };
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value }] }] });
}

const post = async (raw: string) => {
  const started = performance.now();
  const response = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) }, body: raw });
  return { status: response.status, body: (await response.json()) as { received: { deferred?: number } }, ms: performance.now() - started };
};

describe('a webhook carrying thousands of messages', () => {
  it("answers one customer's 2,000 messages in one POST within a second, then hands every one to the conversation in a few bounded signals", async () => {
    const from = String(15552000000 + Math.floor(Math.random() * 900_000));
    const tag = `big${Date.now()}`;
    const raw = backlogBody(from, 2_000, tag);
    const answer = await post(raw);
    expect(answer.status).toBe(200);
    expect(answer.body.received.deferred).toBe(2_000);
    expect(answer.ms).toBeLessThan(1_000);

    const ids = Array.from({ length: 2_000 }, (_, i) => `wamid.${tag}.${i}`);
    await eventually(() => rig.store.handledInbound.countDocuments({ _id: { $in: ids } }), (n) => n === 2_000, 240_000);
    const conversationId = `wa:${BUSINESS_NUMBER_ID}:${from}`;
    const conversation = await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}`), (r) => r.body.inboundCount === 2_000);
    expect(conversation.body.state).toBe('openSession');

    // Bounded batches: tens of signals in the conversation's history, not thousands.
    const history = await rig.temporal.workflow.getHandle(conversationId).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.length).toBeLessThanOrEqual(40);

    // The broker redelivering the same body changes nothing; the kept body is gone once handed over.
    expect((await post(raw)).status).toBe(200);
    await eventually(() => rig.store.inboundBatches.countDocuments(), (n) => n === 0, 60_000);
    expect(await rig.store.messages.countDocuments({ conversationId })).toBe(2_000);
    expect((await rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}`)).body.inboundCount).toBe(2_000);
  }, 300_000);

  it('still answers a small webhook inline, processed before the answer', async () => {
    const from = String(15552000000 + Math.floor(Math.random() * 900_000));
    const answer = await post(backlogBody(from, 3, `small${Date.now()}`));
    expect(answer.status).toBe(200);
    expect(answer.body.received).toMatchObject({ messages: 3, deadLetters: 0 });
  });
});
