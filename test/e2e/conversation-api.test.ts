import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../api/openapi';
import { signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { APP_SECRET, BUSINESS_NUMBER_ID, VERIFY_TOKEN, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextCustomer = 15557000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  rig = await startService();
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

async function conversationState(conversationId: string, state: string) {
  return eventually(() => rig.request('GET', path(conversationId)), (r) => r.status === 200 && r.body.state === state);
}

describe('walking skeleton: webhook → workflow → MongoDB → agent reply → broker → statuses', () => {
  it('carries a customer message and an agent reply end to end, statuses included', async () => {
    const customer = newCustomer();
    const { wamid, delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: 'Where is my order?' });
    expect(delivery.finalStatus).toBe(200);

    const id = conversationOf(customer);
    const conversation = await conversationState(id, 'openSession');
    expect(conversation.body).toMatchObject({ windowOpen: true, inboundCount: 1, customer: { waId: customer, profileName: 'Ada' } });
    expect(await rig.store.messages.findOne({ _id: wamid })).toMatchObject({ direction: 'inbound', text: 'Where is my order?', conversationId: id });

    // An agent's key: the reply is recorded as that registered agent.
    const reply = await rig.requestAs('agent', 'POST', path(id, '/messages'), { message: { type: 'text', text: 'It arrives tomorrow.' } });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ conversationId: id, status: 'queued' });

    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    expect(sent[0]!.body).toMatchObject({ type: 'text', text: { body: 'It arrives tomorrow.' }, biz_opaque_callback_data: reply.body.messageId });

    const thread = await eventually(
      () => rig.request('GET', path(id, '/messages')),
      (r) => r.body.messages?.[1]?.status === 'read',
    );
    expect(thread.body.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
      ['inbound', 'Where is my order?'],
      ['outbound', 'It arrives tomorrow.'],
    ]);
    expect(thread.body.messages[1]).toMatchObject({ wamid: sent[0]!.wamid, pricingCategory: 'service', sender: { kind: 'agent', id: 'agent-1' } });
    const status = await rig.request('GET', path(id));
    expect(status.body.lastMessages).toEqual([
      expect.objectContaining({ messageId: wamid, direction: 'inbound', kind: 'text' }),
      expect.objectContaining({ messageId: reply.body.messageId, direction: 'outbound', kind: 'text' }),
    ]);
  });

  it('serves a customer who hides their number behind a username, keyed on the business-scoped id', async () => {
    const userId = `US.${Date.now()}${Math.floor(Math.random() * 1000)}`;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, userId, username: '@ada', text: 'hi' });
    const id = conversationOf(userId);
    await conversationState(id, 'openSession');

    expect((await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'Hello @ada' } })).status).toBe(202);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.recipient === userId), (s) => s.length === 1);
    expect(sent[0]!.to).toBeUndefined();
  });
});

describe('WhatsApp rules through the HTTP API', () => {
  it('answers a session message outside the window with 409 template_required and the approved templates', async () => {
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
    await rig.approveTemplate('spring_sale', 'en_US', 'PENDING');
    const customer = newCustomer();
    // The customer wrote 25 hours ago; the webhook only now gets through.
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'old', timestamp: nowSeconds() - 25 * 3600 });
    const id = conversationOf(customer);
    await conversationState(id, 'expiredNeedsTemplate');

    const refused = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'Hi again' } });
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'template_required', status: 409 });
    expect(refused.body.templates.map((t: { name: string }) => t.name)).toEqual(['order_update']);

    const template = await rig.request('POST', path(id, '/messages'), { message: { type: 'template', name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } });
    expect(template.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    expect(rig.simulator.sent().filter((m) => m.to === customer)[0]!.body).toMatchObject({ type: 'template', template: { name: 'order_update' } });
  });

  it('starts a business-initiated conversation with an approved template, and refuses free text until the customer replies', async () => {
    await rig.approveTemplate('appointment_reminder');
    const customer = newCustomer();
    const started = await rig.request('POST', '/v1/conversations', {
      businessNumberId: BUSINESS_NUMBER_ID,
      customer: { waId: customer },
      template: { name: 'appointment_reminder', language: 'en_US' },
    });
    expect(started.status).toBe(202);
    const id = started.body.conversationId as string;
    expect(id).toBe(conversationOf(customer));
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    await conversationState(id, 'expiredNeedsTemplate');

    expect((await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'hello?' } })).body.code).toBe('template_required');

    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Yes, I will come' });
    await conversationState(id, 'openSession');
    expect((await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'See you then' } })).status).toBe(202);
  });

  it('lists conversations filtered by state and business number, and refuses an unknown state', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'list me' });
    await conversationState(conversationOf(customer), 'openSession');

    const open = await rig.request('GET', `/v1/conversations?state=openSession&businessNumberId=${BUSINESS_NUMBER_ID}&limit=500`);
    expect(open.status).toBe(200);
    expect(open.body.conversations.map((c: { conversationId: string }) => c.conversationId)).toContain(conversationOf(customer));
    expect(open.body.conversations.every((c: { state: string }) => c.state === 'openSession')).toBe(true);
    const expired = await rig.request('GET', '/v1/conversations?state=expiredNeedsTemplate&limit=500');
    expect(expired.body.conversations.map((c: { conversationId: string }) => c.conversationId)).not.toContain(conversationOf(customer));
    expect(await rig.request('GET', '/v1/conversations?state=sleeping')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
  });

  it('closes a conversation on request; the customer writing again starts a new one', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'thanks, all good' });
    const id = conversationOf(customer);
    await conversationState(id, 'openSession');

    const closed = await rig.requestAs('agent', 'POST', path(id, '/close'), {});
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed', closedReason: 'requested' } });
    expect(await rig.request('POST', path(id, '/close'), {})).toMatchObject({ status: 200, body: { state: 'closed' } });

    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'one more question' });
    const reopened = await conversationState(id, 'openSession');
    expect(reopened.body.inboundCount).toBe(1);
  });

  it('refuses a template that is not approved with 422, sending nothing', async () => {
    await rig.approveTemplate('draft_promo', 'en_US', 'PENDING');
    const customer = newCustomer();
    const refused = await rig.request('POST', '/v1/conversations', {
      businessNumberId: BUSINESS_NUMBER_ID,
      customer: { waId: customer },
      template: { name: 'draft_promo', language: 'en_US' },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('template_not_approved');
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
  });
});

describe('duplicates', () => {
  it('pages a thread newest first: ?limit keeps the newest, ?before the first id held gives the page before, an id from nowhere is 404', async () => {
    const customer = newCustomer();
    const id = conversationOf(customer);
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text, timestamp: nowSeconds() - 10 + i });
    }
    await eventually(() => rig.request('GET', path(id, '/messages')), (r) => r.body.messages?.length === 3);
    const newest = await rig.request('GET', path(id, '/messages?limit=2'));
    expect(newest.status).toBe(200);
    expect(newest.body.messages.map((m: { text: string }) => m.text)).toEqual(['two', 'three']);
    expect(newest.body.hasOlder).toBe(true);
    const before = await rig.request('GET', path(id, `/messages?limit=2&before=${encodeURIComponent(newest.body.messages[0].id)}`));
    expect(before.body.messages.map((m: { text: string }) => m.text)).toEqual(['one']);
    expect(before.body.hasOlder).toBe(false);
    const whole = await rig.request('GET', path(id, '/messages'));
    expect(whole.body.hasOlder).toBe(false);
    // A page holding exactly the rest says there is nothing before it.
    const exact = await rig.request('GET', path(id, '/messages?limit=3'));
    expect(exact.body.messages).toHaveLength(3);
    expect(exact.body.hasOlder).toBe(false);
    const nowhere = await rig.request('GET', path(id, '/messages?before=wamid.nowhere'));
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.code).toBe('unknown_message');
  });

  it('takes a webhook delivered twice once', async () => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'once', duplicate: true });
    const id = conversationOf(customer);
    await conversationState(id, 'openSession');
    // A plain redelivery of the identical body, as Meta does when it missed our 200.
    const again = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'once', wamid, timestamp: nowSeconds() });
    expect(again.delivery.finalStatus).toBe(200);

    expect(await rig.store.messages.countDocuments({ conversationId: id, direction: 'inbound' })).toBe(1);
    const conversation = await rig.request('GET', path(id));
    expect(conversation.body.inboundCount).toBe(1);
  });

  it('sends a request retried with the same Idempotency-Key once', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
    const id = conversationOf(customer);
    await conversationState(id, 'openSession');
    const body = { message: { type: 'text', text: 'exactly once' } };
    const first = await rig.request('POST', path(id, '/messages'), body, { 'idempotency-key': 'order-42-reply' });
    const second = await rig.request('POST', path(id, '/messages'), body, { 'idempotency-key': 'order-42-reply' });

    expect(second).toMatchObject({ status: 202, body: first.body });
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(1);
  });

  it('refuses a key reused for a different message with 422 naming the field, sending nothing more', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
    const id = conversationOf(customer);
    await conversationState(id, 'openSession');
    const first = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'first' } }, { 'idempotency-key': 'reused-key' });
    expect(first.status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);

    const changed = await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'second' } }, { 'idempotency-key': 'reused-key' });
    expect(changed).toMatchObject({ status: 422, body: { code: 'idempotency_key_reused', errors: [{ in: 'body', path: 'message.text' }] } });
    // The same body under the same key is still a retry, answered as the first.
    expect((await rig.request('POST', path(id, '/messages'), { message: { type: 'text', text: 'first' } }, { 'idempotency-key': 'reused-key' })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rig.simulator.sent().filter((m) => m.to === customer).map((m) => (m.body as { text?: { body: string } }).text?.body)).toEqual(['first']);
  });
});

describe('bad input gets problem+json with a stable code and changes nothing', () => {
  const post = (body: string, signature?: string) =>
    fetch(`${rig.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      body,
    }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as { code: string } }));

  it('refuses unsigned and wrongly signed webhooks with 401', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    expect(await post(body)).toMatchObject({ status: 401, body: { code: 'invalid_signature' } });
    expect(await post(body, signBody(body, 'not-the-secret'))).toMatchObject({ status: 401, body: { code: 'invalid_signature' } });
  });

  it('refuses signed bodies that are not JSON or not Cloud API shaped with 400', async () => {
    const notJson = '{"object": "whatsapp_business_account", ';
    // The envelope is what is refused whole; a part inside a sound envelope is a dead letter (webhook-dead-letters.test.ts).
    const wrongShape = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [{ id: 'x' }] } }] }] });
    for (const body of [notJson, wrongShape]) {
      const answer = await post(body, signBody(body, APP_SECRET));
      expect(answer.status).toBe(400);
      expect(answer.type).toContain('application/problem+json');
      expect(answer.body.code).toBe('invalid_webhook_payload');
    }
    expect(await rig.store.messages.countDocuments({ _id: 'x' })).toBe(0);
  });

  it("refuses a signed webhook over Meta's 3 MB with 413 (the JSON API's smaller limit is not the webhook's)", async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [], padding: 'x'.repeat(3 * 1024 * 1024) });
    expect(await post(body, signBody(body, APP_SECRET))).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
  });

  it('answers the verification handshake, and 403 to a wrong verify token', async () => {
    const ok = await rig.request('GET', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok).toMatchObject({ status: 200, body: 1158201444 });
    const wrong = await rig.request('GET', '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1');
    expect(wrong).toMatchObject({ status: 403, body: { code: 'invalid_verify_token' } });
  });

  it('answers unknown routes, unknown conversations and invalid bodies precisely', async () => {
    expect(await rig.request('GET', '/v1/nothing-here')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await rig.request('GET', path(conversationOf('15550000000')))).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
    const invalid = await rig.request('POST', path(conversationOf('15550000000'), '/messages'), { message: { type: 'text' } });
    expect(invalid).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(invalid.body.errors[0].path).toMatch(/^message/);
    expect(await rig.request('POST', path(conversationOf('15550000000'), '/messages'), 'text', { 'content-type': 'text/plain' })).toMatchObject({ status: 415 });
  });
});

describe('the OpenAPI document', () => {
  it('is served by the API and committed in sync with the schemas (npm run openapi rewrites it)', async () => {
    const served = await rig.request('GET', '/openapi.json');
    const committed = JSON.parse(readFileSync(join(__dirname, '../../api/openapi.json'), 'utf8'));
    expect(served.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(committed).toEqual(served.body);
  });
});
