import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * Currency and date_time template parameters through the real API, worker and strict simulator. Meta's parameter
 * object on the template-messages page lets a body placeholder take, besides text,
 *   { "type": "currency", "currency": { "fallback_value": "$100.99", "code": "USD", "amount_1000": 100990 } }
 *   { "type": "date_time", "date_time": { "fallback_value": "February 25, 1977" } }
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages
 * An integrator sends them through our API; the simulator must receive Meta's exact shape; malformed ones, or ones in a
 * header, are refused before anything is sent.
 */
let rig: ServiceRig;
let next = 15558300000 + Math.floor(Math.random() * 900_000);
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string) => `${BUSINESS_NUMBER_ID}:${name}:en_US`;

async function approved(name: string, definition: object): Promise<void> {
  expect((await supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category: 'utility', definition })).status).toBe(201);
  const held = rig.simulator.templates().find((t) => t.name === name)!;
  await rig.simulator.playReview(held.id, [{ status: 'APPROVED' }]);
  await eventually(() => rig.request('GET', `/v1/templates/${keyOf(name)}`), (r) => r.body.status === 'APPROVED');
}

beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
  await approved('order_total', {
    header: { format: 'text', text: 'Order {{1}}', example: 'A-1' },
    body: { text: 'Hi {{1}}, your total is {{2}}, due on {{3}}.', examples: ['Ada', '$100.99', 'February 25, 1977'] },
  });
  await approved('named_total', { body: { text: 'Hi {{first_name}}, you owe {{amount}} by {{due}}.', examples: { first_name: 'Ada', amount: '$1.00', due: 'May 1' } } });
}, 90_000);
afterAll(async () => rig?.stop());

const start = (template: object) => {
  const customer = String((next += 1));
  return { customer, answer: rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: { language: 'en_US', ...template } }) };
};
const header = { type: 'header', parameters: [{ type: 'text', text: 'A-7' }] };
const currency = { type: 'currency', fallbackValue: '$100.99', code: 'USD', amount1000: 100990 };
const dateTime = { type: 'date_time', fallbackValue: 'February 25, 1977' };

describe('currency and date_time template parameters', () => {
  it("reach WhatsApp in Meta's shape, which the strict simulator accepts", async () => {
    const { customer, answer } = start({ name: 'order_total', components: [header, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, currency, dateTime] }] });
    expect((await answer).status).toBe(202);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    const body = (sent[0]!.body.template as { components: { type: string; parameters: unknown[] }[] }).components.find((c) => c.type === 'body')!;
    expect(body.parameters).toEqual([
      { type: 'text', text: 'Ada' },
      { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
      { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
    ]);
    const conversation = encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`);
    const thread = await eventually(() => rig.request('GET', `/v1/conversations/${conversation}/messages`), (r) => ['sent', 'delivered', 'read', 'failed'].includes(r.body.messages[0]?.status));
    expect(thread.body.messages[0]).not.toHaveProperty('failure');
  });

  it('fill named body placeholders by name, with parameter_name beside them as Meta places it', async () => {
    const { customer, answer } = start({
      name: 'named_total',
      components: [{ type: 'body', parameters: [{ type: 'text', name: 'first_name', text: 'Ada' }, { ...currency, name: 'amount' }, { ...dateTime, name: 'due' }] }],
    });
    expect((await answer).status).toBe(202);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    const body = (sent[0]!.body.template as { components: { parameters: unknown[] }[] }).components[0]!;
    expect(body.parameters).toEqual([
      { type: 'text', text: 'Ada', parameter_name: 'first_name' },
      { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 }, parameter_name: 'amount' },
      { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' }, parameter_name: 'due' },
    ]);
  });

  it.each([
    ['a lower-case currency code', { ...currency, code: 'usd' }, 'code'],
    ['an amount that is not an integer', { ...currency, amount1000: 100.5 }, 'amount1000'],
    ['an amount given as a string', { ...currency, amount1000: '100990' }, 'amount1000'],
    ['no currency code', { type: 'currency', fallbackValue: '$1', amount1000: 1000 }, 'code'],
    ['an empty fallback value', { ...dateTime, fallbackValue: '' }, 'fallbackValue'],
    ["Meta's own snake_case field", { type: 'date_time', date_time: { fallback_value: 'May 1' } }, 'date_time'],
  ])('refuses with 400 problem+json %s, sending nothing', async (_what, parameter, field) => {
    const before = rig.simulator.sent().length;
    const { answer } = start({ name: 'order_total', components: [header, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, parameter, dateTime] }] });
    const refused = await answer;
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(refused.contentType).toMatch(/application\/problem\+json/);
    const paths = (refused.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toContain(`template.components.1.parameters.1${field ? `.${field}` : ''}`);
    expect(rig.simulator.sent().length).toBe(before);
  });

  it('refuses with 422 a currency in a header placeholder (body placeholders only, as Meta), sending nothing', async () => {
    const before = rig.simulator.sent().length;
    const { answer } = start({ name: 'order_total', components: [{ type: 'header', parameters: [currency] }, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, currency, dateTime] }] });
    const refused = await answer;
    expect(refused).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(refused.body.errors).toContainEqual(expect.objectContaining({ path: 'template.components.0.parameters.0.type' }));
    expect(rig.simulator.sent().length).toBe(before);
  });
});
