import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * A template WhatsApp no longer holds (deleted in WhatsApp Manager, its webhook lost, or a broker that forgot it) must
 * not stay APPROVED here: the sync compares with Meta's template list (GET /<WABA_ID>/message_templates,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management "Get
 * templates"), and a send WhatsApp refuses with 132001 (template does not exist,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes) marks it too.
 */
let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string) => `${BUSINESS_NUMBER_ID}:${name}:en_US`;
const definition = (name: string) => ({ body: { text: `Your ${name.replace(/_/g, ' ')} is ready.` } });
const create = (name: string) => supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category: 'utility', definition: definition(name) });
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const statusOf = async (name: string) => (await rig.request('GET', `/v1/templates/${keyOf(name)}`)).body.status as string;
const sendTemplate = (customer: string, name: string) => rig.request('POST', path(customer, '/messages'), { message: { type: 'template', name, language: 'en_US' } });
const lastMessage = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages.at(-1);
const simulated = (name: string) => rig.simulator.templates().filter((t) => t.name === name);

async function openConversation(): Promise<string> {
  const customer = String((next += 1));
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return customer;
}

async function approved(name: string): Promise<string> {
  expect((await create(name)).status).toBe(201);
  const id = simulated(name)[0]!.id;
  await rig.simulator.playReview(id, [{ status: 'APPROVED' }]);
  await eventually(() => statusOf(name), (s) => s === 'APPROVED');
  return id;
}

beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
}, 60_000);
afterAll(async () => rig?.stop());

describe('templates WhatsApp no longer holds', () => {
  it('the sync marks a template missing from Meta\'s list DELETED, counts it, refuses its sends up front and lets it be created again', async () => {
    const id = await approved('parcel_ready');
    await approved('parcel_kept');
    rig.simulator.forgetTemplate(id); // deleted in WhatsApp Manager; no webhook reached us

    const sync = await supervisor('POST', '/v1/templates/sync', {});
    expect(sync).toMatchObject({ status: 200, body: { accounts: 1, deleted: 1 } });
    expect(sync.body.changed).toBeGreaterThanOrEqual(1);
    expect(await statusOf('parcel_ready')).toBe('DELETED');
    expect(await statusOf('parcel_kept')).toBe('APPROVED');
    expect((await supervisor('POST', '/v1/templates/sync', {})).body).toMatchObject({ changed: 0, deleted: 0 });

    const customer = await openConversation();
    const refused = await sendTemplate(customer, 'parcel_ready');
    expect(refused).toMatchObject({ status: 422, body: { code: 'template_not_approved' } });
    expect(refused.body.detail).toContain('DELETED');

    // Created again: submitted to WhatsApp anew (a new id there), PENDING here, and sendable once approved.
    const again = await create('parcel_ready');
    expect(again).toMatchObject({ status: 201, body: { status: 'PENDING' } });
    expect(simulated('parcel_ready')).toHaveLength(1);
    expect(simulated('parcel_ready')[0]!.id).not.toBe(id);
    await rig.simulator.playReview(simulated('parcel_ready')[0]!.id, [{ status: 'APPROVED' }]);
    await eventually(() => statusOf('parcel_ready'), (s) => s === 'APPROVED');
    expect((await sendTemplate(customer, 'parcel_ready')).status).toBe(202);
    await eventually(() => lastMessage(customer), (m) => m.status === 'sent' || m.status === 'delivered' || m.status === 'read');
    expect((await create('parcel_kept')).body.code).toBe('template_exists');
  });

  it('a send refused with 132001 marks the template DELETED, and the next send is refused up front', async () => {
    const id = await approved('pickup_code');
    rig.simulator.forgetTemplate(id);
    const customer = await openConversation();
    expect((await sendTemplate(customer, 'pickup_code')).status).toBe(202);
    const failed = await eventually(() => lastMessage(customer), (m) => m.status === 'failed');
    expect(failed.failure).toMatchObject({ code: 132001, action: 'blockTemplate' });
    await eventually(() => statusOf('pickup_code'), (s) => s === 'DELETED');
    expect((await sendTemplate(customer, 'pickup_code')).body.code).toBe('template_not_approved');
  });

  it("applies Meta's DELETED status event (message_template_status_update), which used to be ignored as unknown", async () => {
    const id = await approved('table_freed');
    // Meta's webhook reference, event DELETED: "Indicates the template has been deleted."
    const delivery = await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: Math.floor(Date.now() / 1000),
          changes: [
            {
              field: 'message_template_status_update',
              value: { event: 'DELETED', message_template_id: Number(id), message_template_name: 'table_freed', message_template_language: 'en_US', reason: 'NONE', message_template_category: 'UTILITY' },
            },
          ],
        },
      ],
    });
    expect(delivery.finalStatus).toBe(200);
    await eventually(() => statusOf('table_freed'), (s) => s === 'DELETED');
    const customer = await openConversation();
    expect((await sendTemplate(customer, 'table_freed')).body.code).toBe('template_not_approved');
  });

  it('retiring a template WhatsApp no longer holds answers 200 without asking WhatsApp (not 502)', async () => {
    const id = await approved('old_notice');
    rig.simulator.forgetTemplate(id);
    await supervisor('POST', '/v1/templates/sync', {});
    expect(await supervisor('DELETE', `/v1/templates/${keyOf('old_notice')}`)).toMatchObject({ status: 200, body: { status: 'DELETED' } });
  });
});
