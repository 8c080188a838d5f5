import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { expectMetaError, graph, PHONE_NUMBER_ID, startReceiver, startSim, until, WABA, type Json } from './support';

/**
 * Template and other sends against the simulator over HTTP, in the shapes of Meta's send-message and
 * template-message references; refusals with the codes of Meta's error-code page.
 */
let sim: BrokerSimulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startSim({ webhookUrl: receiver.url });
  const held = (name: string, status: string, components: Json[], parameterFormat: 'POSITIONAL' | 'NAMED' = 'POSITIONAL') =>
    sim.seedTemplate({ wabaId: WABA, name, language: 'en_US', category: 'UTILITY', status, parameterFormat, components });
  const body = { type: 'BODY', text: 'Hello {{1}}, your order {{2}} ships today.', example: { body_text: [['Pablo', '860198']] } };
  held('order_shipped', 'APPROVED', [{ type: 'HEADER', format: 'IMAGE' }, body, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://x.example/t/{{1}}' }] }]);
  held('named_greeting', 'APPROVED', [{ type: 'BODY', text: 'Hi {{first_name}}, welcome back to the shop.' }], 'NAMED');
  held('low_quality', 'PAUSED', [{ type: 'BODY', text: 'A plain notice for you.' }]);
  held('gone_bad', 'DISABLED', [{ type: 'BODY', text: 'A plain notice for you.' }]);
  held('in_review', 'PENDING', [{ type: 'BODY', text: 'A plain notice for you.' }]);
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

const send = (body: Json) => graph(sim, 'POST', `${PHONE_NUMBER_ID}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', ...body });
const template = (name: string, components?: Json[], language = 'en_US') => send({ type: 'template', template: { name, language: { code: language }, ...(components ? { components } : {}) } });
const text = (value: string) => ({ type: 'text', text: value });
const full = (bodyParams: Json[] = [text('Pablo'), text('860198')]) => [
  { type: 'header', parameters: [{ type: 'image', image: { link: 'https://x.example/a.png' } }] },
  { type: 'body', parameters: bodyParams },
  { type: 'button', sub_type: 'url', index: '0', parameters: [text('860198')] },
];

describe('template sends: what Meta takes', () => {
  it('accepts every parameter in the right place and type, answering contacts[] and a wamid', async () => {
    const answer = await template('order_shipped', full());
    expect(answer).toMatchObject({ status: 200, body: { contacts: [{ input: '15551234567', wa_id: '15551234567' }], messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
  });

  it('accepts currency and date_time body parameters (template-messages page; the fallback_value is what WhatsApp shows)', async () => {
    const currency = { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } };
    const dateTime = { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } };
    expect((await template('order_shipped', full([currency, dateTime]))).status).toBe(200);
    const noFallback = await template('order_shipped', full([text('Pablo'), { type: 'date_time', date_time: {} }]));
    expect(noFallback).toMatchObject({ status: 400, body: { error: { code: 131008 } } });
    const notInHeader = await template('order_shipped', [{ type: 'header', parameters: [currency] }, ...full().slice(1)]);
    expect(notInHeader).toMatchObject({ status: 400, body: { error: { code: 132012 } } });
  });

  it('accepts a named parameter by parameter_name, and four spaces in a row', async () => {
    expect((await template('named_greeting', [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ada    Lovelace' }] }])).status).toBe(200);
  });
});

describe('template sends: Meta refuses, with its error body', () => {
  it.each<[string, () => Promise<{ status: number; body: Json }>, number]>([
    ['a template name the account lacks (132001)', () => template('no_such_template'), 132001],
    ['a template absent in that language (132001)', () => template('order_shipped', full(), 'pt_BR'), 132001],
    ['a template still in review (132001)', () => template('in_review'), 132001],
    ['a paused template (132015)', () => template('low_quality'), 132015],
    ['a disabled template (132016)', () => template('gone_bad'), 132016],
    ['one body parameter too few (132000)', () => template('order_shipped', full([text('Pablo')])), 132000],
    ['no parameters at all (132000)', () => template('order_shipped'), 132000],
    ['a component the template lacks (132000)', () => template('named_greeting', [{ type: 'header', parameters: [text('x')] }, { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'A' }] }]), 132000],
    ['text where the header wants an image (132012)', () => template('order_shipped', [{ type: 'header', parameters: [text('x')] }, ...full().slice(1)]), 132012],
    ['a text parameter without its text (131008)', () => template('order_shipped', full([text('Pablo'), { type: 'text' }])), 131008],
    ['a named parameter without parameter_name (131008)', () => template('named_greeting', [{ type: 'body', parameters: [text('Ada')] }]), 131008],
    ['a parameter_name the template lacks (131009)', () => template('named_greeting', [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'last_name', text: 'A' }] }]), 131009],
    ['an image link that is no URL (131009)', () => template('order_shipped', [{ type: 'header', parameters: [{ type: 'image', image: { link: 'not a url' } }] }, ...full().slice(1)]), 131009],
    ['a newline in a parameter (132018)', () => template('order_shipped', full([text('Pablo\nRuiz'), text('860198')])), 132018],
    ['a tab in a parameter (132018)', () => template('order_shipped', full([text('Pablo\tRuiz'), text('860198')])), 132018],
    ['five spaces in a row in a parameter (132018)', () => template('order_shipped', full([text('Pablo     Ruiz'), text('860198')])), 132018],
    ['a message type the Cloud API does not send (131051)', () => send({ type: 'hologram', hologram: {} }), 131051],
  ])('refuses %s', async (_what, act, code) => {
    const before = sim.sent().length;
    expectMetaError(await act(), code);
    expect(sim.sent().length).toBe(before);
  });
});

describe('recipients', () => {
  it('answers the wa_id Meta resolved, which may differ from the to', async () => {
    sim.setWaId('+52 1 55 1234 5678', '525512345678');
    const answer = await send({ to: '+52 1 55 1234 5678', type: 'text', text: { body: 'hola' } });
    expect(answer.body.contacts).toEqual([{ input: '+52 1 55 1234 5678', wa_id: '525512345678' }]);
  });

  it('accepts a send to a number that cannot receive it, then reports 131026 in a failed status webhook', async () => {
    sim.setUnreachable('15550000404');
    const answer = await send({ to: '15550000404', type: 'text', text: { body: 'hello?' }, biz_opaque_callback_data: 'msg_1' });
    expect(answer.status).toBe(200);
    const wamid = answer.body.messages[0].id as string;
    const statusOf = () => receiver.received.flatMap((b) => b.entry.flatMap((e: Json) => e.changes.flatMap((c: Json) => c.value.statuses ?? []))).find((s: Json) => s.id === wamid);
    const status = await until(statusOf, (s) => s !== undefined);
    expect(status).toMatchObject({ status: 'failed', recipient_id: '15550000404', biz_opaque_callback_data: 'msg_1', errors: [{ code: 131026, title: expect.any(String), error_data: { details: expect.any(String) } }] });
    expect(receiver.received.flatMap((b) => b.entry.flatMap((e: Json) => e.changes.flatMap((c: Json) => c.value.statuses ?? []))).filter((s: Json) => s.id === wamid).map((s: Json) => s.status)).toEqual(['failed']);
  });
});
