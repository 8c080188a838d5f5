import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * Media card carousel templates through the real API, worker and strict simulator: a supervisor writes one (Meta's
 * summer produce example), the API refuses what Meta's carousel page refuses up front (422 naming the card and the
 * rule), and integrators and campaigns send it with every card's parameters, refused up front when they do not fit.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates
 */
let rig: ServiceRig;
let next = 15558000000 + Math.floor(Math.random() * 900_000);
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string) => `${BUSINESS_NUMBER_ID}:${name}:en_US`;
const create = (name: string, definition: object, category = 'marketing') => supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category, definition });
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

async function upload(): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'card.png');
  const uploaded = await fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${rig.keys.supervisor}` }, body: form });
  expect(uploaded.status).toBe(201);
  return ((await uploaded.json()) as { mediaId: string }).mediaId;
}

let samples: [string, string];
beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
  samples = [await upload(), await upload()];
}, 60_000);
afterAll(async () => rig?.stop());

/** Meta's summer produce example as our definition: two image cards, each a body with two placeholders and two buttons. */
const card = (mediaId: string, text: string, promo: string) => ({
  header: { format: 'image', sample: { mediaId } },
  body: { text, examples: ['15OFF', '15%'] },
  buttons: [{ type: 'quick_reply', text: 'Send me more like this!' }, { type: 'url', text: 'Buy now', url: 'https://www.luckyshrub.com/shop?promo={{1}}', example: promo }],
});
const summer = () => ({
  body: { text: 'Summer is here, and we have the freshest produce around! Use code {{1}} to get {{2}} off your next order.', examples: ['15OFF', '15%'] },
  carousel: {
    cards: [
      card(samples[0], 'Rare lemons for unique cocktails. Use code {{1}} to get {{2}} off all produce.', 'summer_lemons_2023'),
      card(samples[1], 'Exotic fruit for unique cocktails! Use code {{1}} to get {{2}} off all exotic produce.', 'exotic_produce_2023'),
    ],
  },
});
const text = (value: string) => ({ type: 'text', text: value });
const sendCard = (cardIndex: number) => ({
  cardIndex,
  components: [
    { type: 'header', parameters: [{ type: 'image', link: `https://cdn.example/card${cardIndex}.png` }] },
    { type: 'body', parameters: [text('10OFF'), text('10%')] },
    { type: 'button', index: 0, subType: 'quick_reply', parameters: [{ type: 'payload', payload: `more-${cardIndex}` }] },
    { type: 'button', index: 1, subType: 'url', parameters: [text('last_chance_2023')] },
  ],
});
/** The template as POST /v1/conversations takes it: the message body's parameters, then the carousel's cards. */
const message = (cards: object[]) => ({ name: 'summer_carousel', language: 'en_US', components: [{ type: 'body', parameters: [text('20OFF'), text('20%')] }, { type: 'carousel', cards }] });

describe('carousel templates through the API', () => {
  it("creates Meta's summer produce carousel: every card's sample uploaded as its header_handle, in Meta's shape", async () => {
    expect((await create('summer_carousel', summer())).status).toBe(201);
    const held = rig.simulator.templates().find((t) => t.name === 'summer_carousel')!;
    const carousel = (held.components as { type: string; cards?: { components: { type: string; example?: { header_handle: string[] } }[] }[] }[]).find((c) => c.type === 'CAROUSEL')!;
    expect(carousel.cards).toHaveLength(2);
    for (const c of carousel.cards!) {
      expect(c.components.map((x) => x.type)).toEqual(['HEADER', 'BODY', 'BUTTONS']);
      expect(rig.simulator.uploadedSample(c.components[0]!.example!.header_handle[0]!)?.bytes.equals(png)).toBe(true);
    }
    await rig.simulator.playReview(held.id, [{ status: 'APPROVED' }]);
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('summer_carousel')}`), (r) => r.body.status === 'APPROVED');
  });

  it.each([
    ['a utility carousel', (d: ReturnType<typeof summer>) => d, 'utility', 'definition.carousel', 'carousel_marketing'],
    ['one card', (d: ReturnType<typeof summer>) => ({ ...d, carousel: { cards: d.carousel.cards.slice(0, 1) } }), 'marketing', 'definition.carousel.cards', 'card_count'],
    ['a card without its sample', (d: ReturnType<typeof summer>) => ({ ...d, carousel: { cards: [d.carousel.cards[0]!, { ...d.carousel.cards[1]!, header: { format: 'image' } }] } }), 'marketing', 'definition.carousel.cards.1.header.sample', 'media_sample_required'],
    ['a 161-character card body', (d: ReturnType<typeof summer>) => ({ ...d, carousel: { cards: [d.carousel.cards[0]!, { ...d.carousel.cards[1]!, body: { text: 'b'.repeat(161) } }] } }), 'marketing', 'definition.carousel.cards.1.body.text', 'card_body_length'],
    ['cards that differ', (d: ReturnType<typeof summer>) => ({ ...d, carousel: { cards: [d.carousel.cards[0]!, { header: { format: 'video', sample: { mediaId: samples[1] } } }] } }), 'marketing', 'definition.carousel.cards.1', 'cards_alike'],
    ['three buttons on a card', (d: ReturnType<typeof summer>) => ({ ...d, carousel: { cards: d.carousel.cards.map((c) => ({ ...c, buttons: [...c.buttons, { type: 'phone_number', text: 'Call', phoneNumber: '+15550051310' }] })) } }), 'marketing', 'definition.carousel.cards.0.buttons', 'card_button_count'],
  ])('refuses with 422 %s, naming the card and the rule, submitting nothing', async (_what, change, category, at, rule) => {
    const before = rig.simulator.templates().length;
    const answer = await create(`bad_carousel_${rule}`, change(summer()), category);
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_invalid' } });
    expect(answer.body.errors).toContainEqual(expect.objectContaining({ path: at, rule }));
    expect(rig.simulator.templates().length).toBe(before);
  });

  it("sends the carousel with every card's image, body, payload and URL suffix, which the strict simulator takes", async () => {
    const customer = String((next += 1));
    const started = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: message([sendCard(0), sendCard(1)]) });
    expect(started.status).toBe(202);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    const carousel = (sent[0]!.body.template as { components: { type: string; cards?: unknown[] }[] }).components.find((c) => c.type === 'carousel')!;
    expect(carousel.cards).toEqual([0, 1].map((i) => ({
      card_index: i,
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: `https://cdn.example/card${i}.png` } }] },
        { type: 'body', parameters: [text('10OFF'), text('10%')] },
        { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: `more-${i}` }] },
        { type: 'button', sub_type: 'url', index: '1', parameters: [text('last_chance_2023')] },
      ],
    })));
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages.some((m: { status: string }) => m.status === 'accepted' || m.status === 'sent' || m.status === 'delivered' || m.status === 'read'));
    expect(thread.body.messages[0]).not.toHaveProperty('failure');
  });

  it.each([
    ['one card missing', [sendCard(0)], 'components.1.cards'],
    ['a card without its image', [sendCard(0), { ...sendCard(1), components: sendCard(1).components.slice(1) }], 'components.1.cards.1.components.3'],
    ['a card index given twice', [sendCard(0), sendCard(0)], 'components.1.cards.1.cardIndex'],
    ['a newline in a card URL suffix', [sendCard(0), { ...sendCard(1), components: [...sendCard(1).components.slice(0, 3), { type: 'button', index: 1, subType: 'url', parameters: [text('last\nchance')] }] }], 'components.1.cards.1.components.3.parameters.0.text'],
  ])('refuses with 422 a send with %s, naming the card, sending nothing', async (_what, cards, at) => {
    const customer = String((next += 1));
    const before = rig.simulator.sent().length;
    const answer = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: message(cards) });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(`template.${at}`);
    expect(rig.simulator.sent().length).toBe(before);
  });

  it("refuses at creation a campaign whose row misses a card, naming the row", async () => {
    const [a, b] = [String((next += 1)), String((next += 1))];
    const answer = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: 'summer_carousel', language: 'en_US' },
      recipients: [{ waId: a, components: message([sendCard(0), sendCard(1)]).components }, { waId: b, components: message([sendCard(1)]).components }],
    });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'recipients.1.components.1.cards' })]);
  });
});
