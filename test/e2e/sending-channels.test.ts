import { upsertTemplate } from '../../store/templates.store';
import { uniqueId } from '../support/env';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';

/**
 * Where a message goes and what may go outside the window, as Meta documents it:
 * - marketing templates (latest category MARKETING) through /marketing_messages, the rest through /messages
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/);
 * - Direct Send: utility text and interactive content outside the window, on numbers Meta enabled
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/).
 */
const DIRECT = '106540350000031';
const nowSeconds = () => Math.floor(Date.now() / 1000);
let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));

const templates = [
  { name: 'spring_sale', category: 'marketing' as const, body: 'Spring sale: 20% off this week.' },
  { name: 'renewal_notice', category: 'utility' as const, body: 'Your renewal is due soon.' },
  { name: 'back_in_stock', category: 'utility' as const, body: 'Your item is back in stock.' },
];

beforeAll(async () => {
  rig = await startService();
  for (const businessNumberId of [BUSINESS_NUMBER_ID, DIRECT]) {
    for (const t of templates) {
      const held = rig.simulator.seedTemplate({ wabaId: WABA_ID, name: t.name, language: 'en_US', category: t.category.toUpperCase(), status: 'APPROVED', components: [{ type: 'BODY', text: t.body }] });
      await upsertTemplate(rig.store, { businessNumberId, name: t.name, language: 'en_US', category: t.category, status: 'APPROVED', body: t.body, brokerTemplateId: held.id, wabaId: WABA_ID, updatedAt: new Date() });
    }
  }
  const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', {
    phoneNumberId: DIRECT,
    displayNumber: '+33612345700',
    wabaId: WABA_ID,
    verificationMethod: 'sms',
    ownership: { attestedBy: 'Grace, head of support', statement: true },
  });
  expect(registered.status).toBe(201);
}, 60_000);
afterAll(async () => rig?.stop());

const start = (businessNumberId: string, waId: string, name: string) =>
  rig.request('POST', '/v1/conversations', { businessNumberId, customer: { waId }, template: { name, language: 'en_US' } }, { 'idempotency-key': uniqueId('start') });
const sentTo = (waId: string) => rig.simulator.sent().filter((m) => m.to === waId);

describe('marketing templates go through the Marketing Messages API', () => {
  it('sends a marketing template to /marketing_messages with the number’s options, a utility one to /messages', async () => {
    const options = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${DIRECT}/sending`, {
      directSend: false,
      marketingMessages: { productPolicy: 'STRICT', messageActivitySharing: true },
    });
    expect(options.status).toBe(200);
    expect(options.body.sending).toEqual({ directSend: false, marketingMessages: { productPolicy: 'STRICT', messageActivitySharing: true } });

    const [shopper, renewer] = [newCustomer(), newCustomer()];
    expect((await start(DIRECT, shopper, 'spring_sale')).status).toBe(202);
    expect((await start(DIRECT, renewer, 'renewal_notice')).status).toBe(202);
    const [marketing] = await eventually(() => sentTo(shopper), (s) => s.length === 1);
    const [utility] = await eventually(() => sentTo(renewer), (s) => s.length === 1);
    expect(marketing).toMatchObject({ endpoint: 'marketing_messages', body: { type: 'template', product_policy: 'STRICT', message_activity_sharing: true } });
    expect(utility).toMatchObject({ endpoint: 'messages' });
    expect(utility!.body).not.toHaveProperty('product_policy');
  }, 30_000);

  it('follows the latest category: a template WhatsApp moves to MARKETING goes to /marketing_messages from then on', async () => {
    const held = rig.simulator.templates().find((t) => t.name === 'back_in_stock')!;
    // WhatsApp re-categorises it and says so with template_category_update.
    await rig.simulator.setTemplateCategory(held.id, 'MARKETING');
    await eventually(() => rig.store.templates.findOne({ brokerTemplateId: held.id, businessNumberId: BUSINESS_NUMBER_ID }), (t) => t?.category === 'marketing');
    const customer = newCustomer();
    expect((await start(BUSINESS_NUMBER_ID, customer, 'back_in_stock')).status).toBe(202);
    const [sent] = await eventually(() => sentTo(customer), (s) => s.length === 1);
    // The simulator refuses a non-marketing template there (131055): accepted means the category followed.
    expect(sent).toMatchObject({ endpoint: 'marketing_messages', phoneNumberId: BUSINESS_NUMBER_ID });
  }, 30_000);
});

describe('Direct Send: utility content outside the window where Meta enabled it', () => {
  /** A customer whose window closed an hour ago: their message was written 25 hours ago. */
  async function closedWindow(businessNumberId: string): Promise<{ customer: string; path: string }> {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: businessNumberId, from: customer, text: 'my order?', timestamp: nowSeconds() - 25 * 3600 });
    const path = `/v1/conversations/wa:${businessNumberId}:${customer}`;
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'expiredNeedsTemplate');
    return { customer, path };
  }
  const utilityText = { type: 'text', text: 'Your order 4521 shipped today.', category: 'utility' };

  it('sends utility text and reply buttons outside the window, and says so in the 409 for plain text', async () => {
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${DIRECT}/sending`, { directSend: true })).body.sending).toEqual({ directSend: true });
    rig.simulator.setDirectSend(DIRECT, true);
    const { customer, path } = await closedWindow(DIRECT);

    const plain = await rig.request('POST', `${path}/messages`, { message: { type: 'text', text: 'Your order shipped.' } });
    expect(plain.status).toBe(409);
    expect(plain.body).toMatchObject({ code: 'template_required', directSend: { available: true, category: 'utility' } });
    expect(plain.body.detail).toContain('Direct Send');

    expect((await rig.request('POST', `${path}/messages`, { message: utilityText })).status).toBe(202);
    const buttons = { type: 'buttons', body: 'Reschedule the delivery?', buttons: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }], category: 'utility' };
    expect((await rig.request('POST', `${path}/messages`, { message: buttons })).status).toBe(202);
    const sent = await eventually(() => sentTo(customer), (s) => s.length === 2);
    expect(sent[0]).toMatchObject({ endpoint: 'messages', type: 'text', body: { category: 'utility', text: { body: 'Your order 4521 shipped today.' } } });
    expect(sent[1]).toMatchObject({ type: 'interactive', body: { category: 'utility', interactive: { type: 'button' } } });
    // Still outside the window: the conversation stays where only templates and Direct Send may go.
    expect((await rig.request('GET', path)).body.state).toBe('expiredNeedsTemplate');
  }, 30_000);

  it('changes nothing where it is off: plain 409, and content marked utility refused before anything is recorded', async () => {
    const { customer, path } = await closedWindow(BUSINESS_NUMBER_ID);
    const plain = await rig.request('POST', `${path}/messages`, { message: { type: 'text', text: 'Your order shipped.' } });
    expect(plain.status).toBe(409);
    expect(plain.body).not.toHaveProperty('directSend');

    const before = await rig.store.messages.countDocuments({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}`, direction: 'outbound' });
    const marked = await rig.request('POST', `${path}/messages`, { message: utilityText });
    expect(marked.status).toBe(422);
    expect(marked.contentType).toContain('application/problem+json');
    expect(marked.body).toMatchObject({ code: 'direct_send_unavailable', errors: [{ path: 'message.category' }] });
    expect(await rig.store.messages.countDocuments({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}`, direction: 'outbound' })).toBe(before);
    expect(sentTo(customer)).toHaveLength(0);
  }, 30_000);
});
