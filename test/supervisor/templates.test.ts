import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextCustomer = 15556000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string, language = 'en_US') => `${BUSINESS_NUMBER_ID}:${name}:${language}`;

const shippingUpdate = {
  header: { format: 'text', text: 'Order {{1}}', example: 'A-1001' },
  body: { text: 'Hello {{1}}, your order ships on {{2}}.', examples: ['Ada', 'Friday'] },
  footer: { text: 'Reply STOP to opt out' },
  buttons: [
    { type: 'quick_reply', text: 'Thanks' },
    { type: 'url', text: 'Track it', url: 'https://shop.example/track/{{1}}', example: 'A-1001' },
  ],
};

async function createTemplate(name: string, definition: object = shippingUpdate, category = 'utility') {
  const answer = await supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category, definition });
  expect(answer.status).toBe(201);
  return answer.body;
}

const brokerIdOf = (name: string) => rig.simulator.templates().find((t) => t.name === name)!.id;
const statusOf = async (name: string) => (await rig.request('GET', `/v1/templates/${keyOf(name)}`)).body.status as string;

async function customerConversation(): Promise<string> {
  const customer = newCustomer();
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
  const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
  await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'openSession');
  return id;
}

const send = (conversationId: string, message: object) => rig.request('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/messages`, { message });
const fullParameters = [
  { type: 'header', parameters: [{ type: 'text', text: 'A-1001' }] },
  { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: 'Friday' }] },
  { type: 'button', index: 1, subType: 'url', parameters: [{ type: 'text', text: 'A-1001' }] },
];

beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', {
    phoneNumberId: BUSINESS_NUMBER_ID,
    displayNumber: '+1 202 555 0107',
    verificationMethod: 'sms',
    ownership: { attestedBy: 'Grace', statement: true },
  });
}, 60_000);
afterAll(async () => rig?.stop());

describe('templates and their approval', () => {
  it('submits a new template to WhatsApp as PENDING and follows its approval through the status webhook', async () => {
    const created = await createTemplate('shipping_update');
    expect(created).toMatchObject({ status: 'PENDING', category: 'utility', definition: shippingUpdate });
    expect(rig.simulator.templates().find((t) => t.name === 'shipping_update')).toMatchObject({ status: 'PENDING', category: 'UTILITY' });

    const conversation = await customerConversation();
    expect(await send(conversation, { type: 'template', name: 'shipping_update', language: 'en_US', components: fullParameters })).toMatchObject({
      status: 422,
      body: { code: 'template_not_approved' },
    });

    await rig.simulator.setTemplateStatus(brokerIdOf('shipping_update'), 'APPROVED');
    await eventually(() => statusOf('shipping_update'), (status) => status === 'APPROVED');
    expect(await send(conversation, { type: 'template', name: 'shipping_update', language: 'en_US', components: fullParameters })).toMatchObject({ status: 202 });
    await eventually(() => rig.simulator.sent().filter((m) => m.type === 'template'), (sent) => sent.length === 1);

    const history = (await rig.request('GET', `/v1/templates/${keyOf('shipping_update')}`)).body.history;
    expect(history.map((h: { status: string; source: string }) => [h.status, h.source])).toEqual([['PENDING', 'api'], ['APPROVED', 'webhook']]);
  });

  it('refuses a REJECTED template, keeping the reason WhatsApp gave', async () => {
    await createTemplate('promo_blast', { body: { text: 'Buy now!' } }, 'marketing');
    await rig.simulator.setTemplateStatus(brokerIdOf('promo_blast'), 'REJECTED', { reason: 'INVALID_FORMAT' });
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('promo_blast')}`), (r) => r.body.status === 'REJECTED');
    expect((await rig.request('GET', `/v1/templates/${keyOf('promo_blast')}`)).body.rejectedReason).toBe('INVALID_FORMAT');
    const conversation = await customerConversation();
    expect(await send(conversation, { type: 'template', name: 'promo_blast', language: 'en_US' })).toMatchObject({ status: 422, body: { code: 'template_not_approved' } });
  });

  it.each([
    ['a missing body parameter', [fullParameters[0], { type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }, fullParameters[2]], 'message.components.1.parameters'],
    ['no parameters at all', [], 'message.components.0'],
    ['an image where the header wants text', [{ type: 'header', parameters: [{ type: 'image', link: 'https://shop.example/a.png' }] }, fullParameters[1], fullParameters[2]], 'message.components.0.parameters.0.type'],
    ['a component the template lacks', [...fullParameters, { type: 'button', index: 2, subType: 'url', parameters: [{ type: 'text', text: 'x' }] }], 'message.components.3'],
    ['a URL suffix for its quick-reply button', [...fullParameters, { type: 'button', index: 0, subType: 'url', parameters: [{ type: 'text', text: 'x' }] }], 'message.components.3.subType'],
  ])('answers 422 template_parameters_mismatch for %s, sending nothing', async (_what, components, path) => {
    const conversation = await customerConversation();
    const before = rig.simulator.sent().length;
    const answer = await send(conversation, { type: 'template', name: 'shipping_update', language: 'en_US', components });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(rig.simulator.sent().length).toBe(before);
  });

  it('checks named placeholders by name', async () => {
    await createTemplate('named_greeting', { body: { text: 'Hi {{first_name}}, your code is {{code}}.', examples: { first_name: 'Ada', code: 'X1' } } });
    await rig.simulator.setTemplateStatus(brokerIdOf('named_greeting'), 'APPROVED');
    await eventually(() => statusOf('named_greeting'), (s) => s === 'APPROVED');
    const conversation = await customerConversation();
    const wrongName = [{ type: 'body', parameters: [{ type: 'text', name: 'first_name', text: 'Ada' }, { type: 'text', name: 'coupon', text: 'X1' }] }];
    expect(await send(conversation, { type: 'template', name: 'named_greeting', language: 'en_US', components: wrongName })).toMatchObject({ status: 422 });
    const right = [{ type: 'body', parameters: [{ type: 'text', name: 'first_name', text: 'Ada' }, { type: 'text', name: 'code', text: 'X1' }] }];
    expect(await send(conversation, { type: 'template', name: 'named_greeting', language: 'en_US', components: right })).toMatchObject({ status: 202 });
  });

  it('records a category change from template_category_update', async () => {
    await rig.simulator.setTemplateCategory(brokerIdOf('shipping_update'), 'MARKETING');
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('shipping_update')}`), (r) => r.body.category === 'marketing');
  });

  it('catches up with a status whose webhook was lost, through the sync', async () => {
    await rig.simulator.setTemplateStatus(brokerIdOf('shipping_update'), 'PAUSED', { silently: true });
    expect(await statusOf('shipping_update')).toBe('APPROVED');
    const sync = await supervisor('POST', '/v1/templates/sync', {});
    expect(sync).toMatchObject({ status: 200, body: { accounts: 1, changed: 1 } });
    expect(await statusOf('shipping_update')).toBe('PAUSED');
    expect((await supervisor('POST', '/v1/templates/sync', {})).body.changed).toBe(0);
  });

  it('sends an edited template back to review, and retires one', async () => {
    const text = 'Hello {{first_name}}, your new code is {{code}}.';
    const edited = await supervisor('PUT', `/v1/templates/${keyOf('named_greeting')}`, { definition: { body: { text, examples: { first_name: 'Ada', code: 'X2' } } } });
    expect(edited).toMatchObject({ status: 200, body: { status: 'PENDING', body: text } });
    expect(rig.simulator.templates().find((t) => t.name === 'named_greeting')).toMatchObject({ status: 'PENDING' });
    const retired = await supervisor('DELETE', `/v1/templates/${keyOf('promo_blast')}`);
    expect(retired).toMatchObject({ status: 200, body: { status: 'PENDING_DELETION' } });
    expect(rig.simulator.templates().some((t) => t.name === 'promo_blast')).toBe(false);
  });

  it('refuses a template breaking Meta\'s rules with 422 and field-level errors, submitting nothing', async () => {
    const before = rig.simulator.templates().length;
    const answer = await supervisor('POST', '/v1/templates', {
      businessNumberId: BUSINESS_NUMBER_ID,
      name: 'bad_one',
      language: 'en_US',
      category: 'utility',
      definition: { body: { text: 'Hi {{2}} and {{name}}' }, footer: { text: 'Code {{1}}' } },
    });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_invalid' } });
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['definition.body.text', 'definition.footer.text']));
    expect(rig.simulator.templates().length).toBe(before);
  });

  it('lists for agents the approved templates of the conversation number, in their language first', async () => {
    const conversation = await customerConversation();
    const listed = await rig.requestAs('agent', 'GET', `/v1/conversations/${encodeURIComponent(conversation)}/templates?language=en_US`);
    expect(listed.status).toBe(200);
    const names = listed.body.templates.map((t: { name: string }) => t.name);
    expect(names).not.toContain('shipping_update'); // paused
    expect(names).not.toContain('promo_blast');
  });
});
