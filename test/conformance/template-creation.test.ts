import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { expectMetaError, graph, startSim, uploadSample, WABA, type Json } from './support';

/**
 * Template creation against the simulator over HTTP, from the payloads of Meta's pages (components, overview,
 * authentication templates, media card carousel). Each row of the README's conformance table names its test here.
 */
let sim: BrokerSimulator;
let png: string;
beforeAll(async () => {
  sim = await startSim({ autoStatuses: false });
  png = await uploadSample(sim, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png');
});
afterAll(async () => sim.close());

let n = 0;
const create = (template: Json) => graph(sim, 'POST', `${WABA}/message_templates`, { name: `t_${(n += 1)}`, language: 'en_US', category: 'UTILITY', ...template });

/** Meta's components page example: a positional body with its example values, footer, and buttons. */
const receipt = (patch: (components: Json[]) => Json[] = (c) => c): Json => ({
  components: patch([
    { type: 'HEADER', format: 'TEXT', text: 'Your order {{1}}', example: { header_text: ['860198'] } },
    {
      type: 'BODY',
      text: 'Thank you for your order, {{1}}! Your order number is {{2}}. If you have any questions, please use the buttons below to contact support.',
      example: { body_text: [['Pablo', '860198-230332']] },
    },
    { type: 'FOOTER', text: 'Lucky Shrub' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Thanks' },
        { type: 'URL', text: 'Track it', url: 'https://www.luckyshrub.com/track/{{1}}', example: ['https://www.luckyshrub.com/track/860198'] },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '15550051310' },
      ],
    },
  ]),
});
const body = (text: string, example?: Json) => (c: Json[]) => c.map((x) => (x.type === 'BODY' ? { type: 'BODY', text, ...(example ? { example } : {}) } : x));
const header = (h: Json) => (c: Json[]) => c.map((x) => (x.type === 'HEADER' ? h : x));
const buttons = (list: Json[]) => (c: Json[]) => c.map((x) => (x.type === 'BUTTONS' ? { type: 'BUTTONS', buttons: list } : x));
const qr = (text = 'Yes') => ({ type: 'QUICK_REPLY', text });

describe('template creation: Meta accepts what its pages show', () => {
  it.each<[string, Json]>([
    ['positional body, text header, footer, quick reply, URL and phone buttons', receipt()],
    ['named parameters with parameter_format NAMED', {
      parameter_format: 'NAMED',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Our new sale starts {{sale_start_date}}!', example: { header_text_named_params: [{ param_name: 'sale_start_date', example: 'December 1st' }] } },
        { type: 'BODY', text: 'Hello {{first_name}}, your code {{code}} is valid all week.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Pablo' }, { param_name: 'code', example: 'SAVE10' }] } },
      ],
    }],
    ['an image header with a handle from the Resumable Upload API', { components: receipt(header({ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['<png>'] } })).components }],
    ['a location header', receipt(header({ type: 'HEADER', format: 'LOCATION' }))],
    ['copy code and Flow buttons', { category: 'MARKETING', ...receipt(buttons([{ type: 'COPY_CODE', example: 'SAVE10' }, { type: 'FLOW', text: 'Book now', flow_id: '1234567890', flow_action: 'navigate' }])) }],
    ['an authentication template with a copy-code OTP button, security recommendation and expiry', {
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
      ],
    }],
    ['an authentication template with a one-tap button', {
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'ONE_TAP', supported_apps: [{ package_name: 'com.example.app', signature_hash: 'K8a/AINcGX7' }] }] }],
    }],
    ['a media card carousel of two cards', {
      category: 'MARKETING',
      components: [
        { type: 'BODY', text: 'Rare succulents for sale, {{1}}! Free shipping this week.', example: { body_text: [['Pablo']] } },
        { type: 'CAROUSEL', cards: [0, 1].map(() => ({ components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['<png>'] } }, { type: 'BODY', text: 'Use code SHIP now for a discount.' }, { type: 'BUTTONS', buttons: [qr('Send more like this')] }] })) },
      ],
    }],
  ])('accepts %s', async (_what, template) => {
    const answer = await create(JSON.parse(JSON.stringify(template).replaceAll('<png>', png)));
    expect(answer).toMatchObject({ status: 200, body: { id: expect.any(String), status: 'PENDING' } });
  });
});

describe('template creation: Meta refuses, with its error body', () => {
  it.each<[string, Json, number] | [string, Json, number, number]>([
    ['a name with capitals', { name: 'Order_Update', ...receipt() }, 100],
    ['an unknown category', { category: 'PROMO', ...receipt() }, 100],
    ['a language WhatsApp does not offer', { language: 'xx_YY', ...receipt() }, 100],
    ['no BODY', receipt((c) => c.filter((x) => x.type !== 'BODY')), 100],
    ['two headers', receipt((c) => [c[0]!, ...c]), 100],
    ['a 61-character text header', receipt(header({ type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) })), 100, 2388040],
    ['a text header with two parameters', receipt(header({ type: 'HEADER', format: 'TEXT', text: 'Order {{1}} for {{2}}', example: { header_text: ['a', 'b'] } })), 100, 2388047],
    ['a header parameter without its example', receipt(header({ type: 'HEADER', format: 'TEXT', text: 'Your order {{1}}' })), 100],
    ['an image header without header_handle', receipt(header({ type: 'HEADER', format: 'IMAGE' })), 100],
    ['an image header with a handle nobody uploaded', receipt(header({ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::made-up'] } })), 100],
    ['a 1025-character body', receipt(body('y'.repeat(1025))), 100, 2388040],
    ['a body starting with a parameter', receipt(body('{{1}} has placed an order with us today.', { body_text: [['Pablo']] })), 100, 2388299],
    ['a body ending with a parameter', receipt(body('Your order has been placed today, {{1}}', { body_text: [['Pablo']] })), 100, 2388299],
    ['adjacent parameters', receipt(body('Hello {{1}} {{2}} and welcome to our shop.', { body_text: [['a', 'b']] })), 100, 2388072],
    ['too many parameters for the text', receipt(body('Hi {{1}}, {{2}}, {{3}} ok.', { body_text: [['a', 'b', 'c']] })), 100, 2388293],
    ['positional parameters out of order', receipt(body('Hello {{2}}, your order ships on Friday.', { body_text: [['a']] })), 100, 2388072],
    ['body parameters without example values', receipt(body('Hello {{1}}, your order ships on Friday.')), 100],
    ['fewer example values than parameters', receipt(body('Hello {{1}}, your order {{2}} ships on Friday.', { body_text: [['a']] })), 100],
    ['named parameters without parameter_format NAMED', receipt(body('Hello {{first_name}}, your order ships on Friday.', { body_text_named_params: [{ param_name: 'first_name', example: 'a' }] })), 100, 2388072],
    ['a footer with a parameter', receipt((c) => c.map((x) => (x.type === 'FOOTER' ? { type: 'FOOTER', text: 'Order {{1}}' } : x))), 100, 2388073],
    ['a 61-character footer', receipt((c) => c.map((x) => (x.type === 'FOOTER' ? { type: 'FOOTER', text: 'z'.repeat(61) } : x))), 100, 2388040],
    ['eleven buttons', receipt(buttons(Array.from({ length: 11 }, (_v, i) => qr(`Option ${i}`)))), 100],
    ['three URL buttons', receipt(buttons([1, 2, 3].map((i) => ({ type: 'URL', text: `Site ${i}`, url: `https://example.com/${i}` })))), 100],
    ['two phone number buttons', receipt(buttons([1, 2].map((i) => ({ type: 'PHONE_NUMBER', text: `Call ${i}`, phone_number: '15550051310' })))), 100],
    ['quick replies split by a URL button', receipt(buttons([qr('A'), { type: 'URL', text: 'Site', url: 'https://example.com' }, qr('B')])), 100],
    ['a 26-character button text', receipt(buttons([qr('q'.repeat(26))])), 100, 2388040],
    ['a URL parameter not at the end', receipt(buttons([{ type: 'URL', text: 'Site', url: 'https://example.com/{{1}}/x', example: ['https://example.com/a/x'] }])), 100],
    ['a URL parameter without its example', receipt(buttons([{ type: 'URL', text: 'Site', url: 'https://example.com/{{1}}' }])), 100],
    ['a 16-character copy code example', receipt(buttons([{ type: 'COPY_CODE', example: 'C'.repeat(16) }])), 100],
    ['a Flow button naming no Flow', receipt(buttons([{ type: 'FLOW', text: 'Book' }])), 100],
    ['an authentication template with body text', { category: 'AUTHENTICATION', components: [{ type: 'BODY', text: 'Your code is {{1}}.' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }] }, 100],
    ['an authentication code expiring after 91 minutes', { category: 'AUTHENTICATION', components: [{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 91 }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }] }, 100],
    ['a one-tap button without supported_apps', { category: 'AUTHENTICATION', components: [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'ONE_TAP' }] }] }, 100],
    ['a carousel of one card', { category: 'MARKETING', components: [{ type: 'BODY', text: 'Rare succulents for sale this week.' }, { type: 'CAROUSEL', cards: [{ components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['<png>'] } }, { type: 'BUTTONS', buttons: [qr()] }] }] }] }, 100],
  ])('refuses %s', async (...[, template, code, subcode]: [string, Json, number, number?]) => {
    const before = sim.templates().length;
    const answer = await create(JSON.parse(JSON.stringify(template).replaceAll('<png>', png)));
    expectMetaError(answer, code, subcode);
    expect(sim.templates().length).toBe(before);
  });

  it('refuses a second template of the same name and language with subcode 2388024', async () => {
    const first = await graph(sim, 'POST', `${WABA}/message_templates`, { name: 'twice', language: 'en_US', category: 'UTILITY', ...receipt() });
    expect(first.status).toBe(200);
    expectMetaError(await graph(sim, 'POST', `${WABA}/message_templates`, { name: 'twice', language: 'en_US', category: 'UTILITY', ...receipt() }), 100, 2388024);
  });

  it('refuses an upload of a type the Resumable Upload API does not take, and a chunk at the wrong offset', async () => {
    expectMetaError(await graph(sim, 'POST', 'app/uploads?file_length=4&file_type=image/gif'), 100);
    const session = await graph(sim, 'POST', 'app/uploads?file_length=4&file_type=image/png');
    const wrong = await fetch(`${sim.url}/v23.0/${session.body.id as string}`, { method: 'POST', headers: { authorization: 'OAuth conformance-token', file_offset: '2' }, body: new Uint8Array([1, 2]) });
    expectMetaError({ status: wrong.status, body: (await wrong.json()) as Json }, 100);
  });
});
