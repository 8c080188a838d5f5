import { claimLegacyReply } from '../../store/numbers.store';
import { eventually } from '../support/workflow-env';
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextCustomer = 15559000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const register = (phoneNumberId: string, displayNumber: string, verificationMethod = 'sms') =>
  supervisor('POST', '/v1/numbers', { phoneNumberId, displayNumber, verificationMethod, ownership: { attestedBy: 'Grace, head of support', statement: true } });

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe("business numbers follow WhatsApp's numbering rules", () => {
  it('registers a mobile number in E.164, recording ownership and the verification method', async () => {
    const answer = await register('200000000000001', '+33 6 12 34 56 78');
    expect(answer).toMatchObject({
      status: 201,
      body: { phoneNumberId: '200000000000001', displayNumber: '+33612345678', country: 'FR', numberType: 'MOBILE', verificationMethod: 'sms', notes: [] },
    });
    expect(answer.body.ownership).toMatchObject({ attestedBy: 'Grace, head of support', statement: 'The business owns this number' });
    expect(await rig.store.numbers.findOne({ _id: '200000000000001' })).toMatchObject({ displayNumber: '+33612345678' });
    expect(await register('200000000000001', '+33 6 12 34 56 78')).toMatchObject({ status: 409, body: { code: 'number_exists' } });
  });

  it.each([
    ['a landline', '+33 1 42 68 53 00', 'FIXED_LINE'],
    ['a virtual (VoIP) number', '+44 56 0000 0000', 'VOIP'],
  ])('accepts %s with a note recommending voice verification', async (_what, number, numberType) => {
    const answer = await register(String(200000000000100 + Math.floor(Math.random() * 1e6)), number, 'voice');
    expect(answer).toMatchObject({ status: 201, body: { numberType, notes: [expect.stringContaining('voice-call verification')] } });
  });

  it.each([
    ['a short code', '12345', 'short_code'],
    ['a number without its country code', '2025550107', 'missing_country_code'],
    ['a number too short for its country', '+1 555', 'short_code'],
    ['a number not valid in its country', '+49 32 12345678', 'invalid_number'],
  ])('refuses %s with 422 and a reason, storing nothing', async (_what, number, reason) => {
    const before = await rig.store.numbers.countDocuments();
    const answer = await register('200000000000999', number);
    expect(answer).toMatchObject({ status: 422, body: { code: 'invalid_phone_number', reason, errors: [{ path: 'displayNumber' }] } });
    expect(await rig.store.numbers.countDocuments()).toBe(before);
  });

  it('normalises customer numbers the same way when an integrator starts a conversation', async () => {
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
    const started = await rig.request('POST', '/v1/conversations', {
      businessNumberId: '106540352242922',
      customer: { waId: '+1 (555) 010-4477' },
      template: { name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
    });
    expect(started).toMatchObject({ status: 202, body: { conversationId: 'wa:106540352242922:15550104477' } });
    await eventually(() => rig.simulator.sent().filter((m) => m.to === '15550104477'), (sent) => sent.length === 1);
    const refused = await rig.request('POST', '/v1/conversations', {
      businessNumberId: '106540352242922',
      customer: { waId: 'call me' },
      template: { name: 'order_update', language: 'en_US' },
    });
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
  });

  it.each([
    ['a US number written nationally', '(555) 987-6543', 'missing_country_code'],
    ['a Mexico City number written locally', '55 1234 5678', 'missing_country_code'],
    ['a number with an extension', '+1-555-987-6543 ext. 12', 'extension'],
  ])('refuses %s with 400 asking for the number as WhatsApp needs it, sending nothing', async (_what, waId, reason) => {
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
    const sentBefore = rig.simulator.sent().length;
    const answer = await rig.request('POST', '/v1/conversations', {
      businessNumberId: '106540352242922',
      customer: { waId },
      template: { name: 'order_update', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
    });
    expect(answer).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'body', path: 'customer.waId', message: expect.stringContaining(reason) }] } });
    if (reason === 'missing_country_code') expect(answer.body.errors[0].message).toContain('country code');
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.simulator.sent().length).toBe(sentBefore);
  });
});

describe('legacy numbers from the old integration', () => {
  const legacyId = '300000000000001';

  it('answers every customer with the replacement notice once per period, and never routes them', async () => {
    await register(legacyId, '+1 202 555 0188');
    const marked = await supervisor('PUT', `/v1/numbers/${legacyId}/legacy`, { replacementNumber: '+1 202 555 0107', periodHours: 24 });
    expect(marked).toMatchObject({ status: 200, body: { legacy: { replacementNumber: '+12025550107', periodHours: 24 } } });
    expect(marked.body.legacy.autoReply).toBe('Hello, to better serve you, our number changed to +1 202 555 0107, please contact us through that number.');

    const ada = newCustomer();
    const bob = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: legacyId, from: ada, text: 'hi, anyone?' });
    await rig.simulator.sendInboundText({ phoneNumberId: legacyId, from: ada, text: 'hello??' });
    await rig.simulator.sendInboundText({ phoneNumberId: legacyId, from: bob, text: 'is this still you?' });
    const path = (c: string) => `/v1/conversations/${encodeURIComponent(`wa:${legacyId}:${c}`)}`;
    await eventually(() => rig.request('GET', path(ada)), (r) => r.body.inboundCount === 2);
    await eventually(() => rig.simulator.sent().filter((m) => m.phoneNumberId === legacyId), (sent) => sent.length === 2);

    const replies = rig.simulator.sent().filter((m) => m.phoneNumberId === legacyId);
    expect(replies.map((m) => m.to).sort()).toEqual([ada, bob].sort());
    expect(replies.every((m) => (m.body as { text: { body: string } }).text.body.includes('+1 202 555 0107'))).toBe(true);
    for (const customer of [ada, bob]) {
      expect((await rig.request('GET', path(customer))).body).toMatchObject({ state: 'openSession', agentId: null });
    }
  });

  it('sends the notice to a customer whose first message arrived after its window had passed, at their next message', async () => {
    const lateId = '300000000000002';
    await register(lateId, '+1 202 555 0199');
    expect((await supervisor('PUT', `/v1/numbers/${lateId}/legacy`, { replacementNumber: '+1 202 555 0107', periodHours: 24 })).status).toBe(200);
    const customer = newCustomer();
    const path = `/v1/conversations/${encodeURIComponent(`wa:${lateId}:${customer}`)}`;
    // Written 25 h ago, delivered now: the window is closed, nothing can be sent.
    await rig.simulator.sendInboundText({ phoneNumberId: lateId, from: customer, text: 'hello?', timestamp: Math.floor(Date.now() / 1000) - 25 * 3600 });
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'expiredNeedsTemplate' && r.body.inboundCount === 1);
    await rig.simulator.sendInboundText({ phoneNumberId: lateId, from: customer, text: 'anyone there?' });
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 2);
    const notices = await eventually(() => rig.simulator.sent().filter((m) => m.phoneNumberId === lateId && m.to === customer), (sent) => sent.length === 1, 15_000);
    expect((notices[0]!.body as { text: { body: string } }).text.body).toContain('+1 202 555 0107');
  });

  it('claims the reply again only after the period has passed', async () => {
    const hour = 3_600_000;
    const t0 = Date.UTC(2026, 10, 25, 9);
    expect(await claimLegacyReply(rig.store, legacyId, 'c1', 'm1', t0, 24 * hour)).toBe(true);
    expect(await claimLegacyReply(rig.store, legacyId, 'c1', 'm1', t0 + hour, 24 * hour)).toBe(true); // the same message, retried
    expect(await claimLegacyReply(rig.store, legacyId, 'c1', 'm2', t0 + 23 * hour, 24 * hour)).toBe(false);
    expect(await claimLegacyReply(rig.store, legacyId, 'c1', 'm3', t0 + 24 * hour, 24 * hour)).toBe(true);
    expect(await claimLegacyReply(rig.store, legacyId, 'c1', 'm4', t0 + 25 * hour, 24 * hour)).toBe(false);
  });
});
