import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * A template send WhatsApp refuses with 132001. Meta's error codes
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes): "The template does
 * not exist in the specified language or the template has not been approved", so "make sure your template has been
 * approved and the template name and language locale are correct". Not "deleted": the refused language of the
 * template takes the status WhatsApp's template list gives it (DELETED only when the list no longer holds it;
 * test/conformance/template-reconcile.test.ts), and the template's other languages are left as they are.
 */
let rig: ServiceRig;
let next = 15558500000 + Math.floor(Math.random() * 400_000);
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string, language: string) => `${BUSINESS_NUMBER_ID}:${name}:${language}`;
const create = (name: string, language = 'en_US') =>
  supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language, category: 'utility', definition: { body: { text: `Your ${name.replace(/_/g, ' ')} (${language}) is ready.` } } });
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const statusOf = async (name: string, language = 'en_US') => (await rig.request('GET', `/v1/templates/${keyOf(name, language)}`)).body.status as string;
const sendTemplate = (customer: string, name: string, language = 'en_US') => rig.request('POST', path(customer, '/messages'), { message: { type: 'template', name, language } });
const lastMessage = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages.at(-1);
const simulated = (name: string, language = 'en_US') => rig.simulator.templates().find((t) => t.name === name && t.language === language)!;

async function approved(name: string, language = 'en_US'): Promise<string> {
  expect((await create(name, language)).status).toBe(201);
  const { id } = simulated(name, language);
  await rig.simulator.playReview(id, [{ status: 'APPROVED' }]);
  await eventually(() => statusOf(name, language), (s) => s === 'APPROVED');
  return id;
}

async function openConversation(): Promise<string> {
  const customer = String((next += 1));
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return customer;
}

/** Sends the template and waits for WhatsApp's 132001. */
async function refused132001(customer: string, name: string, language = 'en_US') {
  expect((await sendTemplate(customer, name, language)).status).toBe(202);
  const failed = await eventually(() => lastMessage(customer), (m) => m.status === 'failed');
  expect(failed.failure).toMatchObject({ code: 132001, action: 'blockTemplate' });
}

beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
}, 60_000);
afterAll(async () => rig?.stop());

describe('a template send refused with 132001 (not in that language, or not approved)', () => {
  it('WhatsApp holds it back in review (an edit in WhatsApp Manager, its webhook lost): it becomes PENDING, not DELETED, and sends again once approved', async () => {
    const id = await approved('visit_slot');
    await rig.simulator.setTemplateStatus(id, 'PENDING', { silently: true });
    const customer = await openConversation();
    await refused132001(customer, 'visit_slot');

    await eventually(() => statusOf('visit_slot'), (s) => s !== 'APPROVED');
    expect(await statusOf('visit_slot')).toBe('PENDING');
    expect((await sendTemplate(customer, 'visit_slot')).body.code).toBe('template_not_approved');
    // Not gone: creating it again is refused here as it would be at WhatsApp.
    expect((await create('visit_slot')).body.code).toBe('template_exists');

    await rig.simulator.playReview(id, [{ status: 'APPROVED' }]);
    await eventually(() => statusOf('visit_slot'), (s) => s === 'APPROVED');
    expect((await sendTemplate(customer, 'visit_slot')).status).toBe(202);
    await eventually(() => lastMessage(customer), (m) => ['sent', 'delivered', 'read'].includes(m.status));
  });

  it('WhatsApp rejected it (its webhook lost): it becomes REJECTED', async () => {
    const id = await approved('pickup_window');
    await rig.simulator.setTemplateStatus(id, 'REJECTED', { silently: true });
    const customer = await openConversation();
    await refused132001(customer, 'pickup_window');
    await eventually(() => statusOf('pickup_window'), (s) => s !== 'APPROVED');
    expect(await statusOf('pickup_window')).toBe('REJECTED');
  });

  it('WhatsApp no longer holds its Spanish: only the Spanish becomes DELETED; the English still sends', async () => {
    await approved('order_note', 'en_US');
    const spanish = await approved('order_note', 'es');
    rig.simulator.forgetTemplate(spanish);
    const customer = await openConversation();
    await refused132001(customer, 'order_note', 'es');

    await eventually(() => statusOf('order_note', 'es'), (s) => s === 'DELETED');
    expect(await statusOf('order_note', 'en_US')).toBe('APPROVED');
    expect((await sendTemplate(customer, 'order_note', 'es')).body.code).toBe('template_not_approved');
    expect((await sendTemplate(customer, 'order_note', 'en_US')).status).toBe(202);
    await eventually(() => lastMessage(customer), (m) => ['sent', 'delivered', 'read'].includes(m.status));
  });
});
