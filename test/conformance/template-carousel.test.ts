import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { expectMetaError, graph, PHONE_NUMBER_ID, startSim, uploadSample, WABA, type Json } from './support';

/**
 * Media card carousel templates against the simulator over HTTP, from the payloads of Meta's media card carousel
 * templates page (creation) and its sending page (the summer produce example):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates
 */
let sim: BrokerSimulator;
let png: string;
beforeAll(async () => {
  sim = await startSim({ autoStatuses: false });
  png = await uploadSample(sim, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png');
});
afterAll(async () => sim.close());

/** Meta's example, lower-case as the page writes it: a message body and two cards (image, body, quick reply and URL). */
const card = (text: string, promo: string, patch: (c: Json[]) => Json[] = (c) => c): Json => ({
  components: patch([
    { type: 'header', format: 'image', example: { header_handle: [png] } },
    { type: 'body', text, example: { body_text: [['15OFF', '15%']] } },
    {
      type: 'buttons',
      buttons: [
        { type: 'quick_reply', text: 'Send me more like this!' },
        { type: 'url', text: 'Buy now', url: 'https://www.luckyshrub.com/shop?promo={{1}}', example: [promo] },
      ],
    },
  ]),
});
const lemons = (patch?: (c: Json[]) => Json[]) => card('Rare lemons for unique cocktails. Use code {{1}} to get {{2}} off all produce.', 'summer_lemons_2023', patch);
const fruit = (patch?: (c: Json[]) => Json[]) => card('Exotic fruit for unique cocktails! Use code {{1}} to get {{2}} off all exotic produce.', 'exotic_produce_2023', patch);
let n = 0;
const summer = (cards: Json[] = [lemons(), fruit()], extra: Json = {}): Json => ({
  name: `summer_carousel_promo_${(n += 1)}`,
  language: 'en_US',
  category: 'marketing',
  components: [
    { type: 'body', text: 'Summer is here, and we have the freshest produce around! Use code {{1}} to get {{2}} off your next order.', example: { body_text: [['15OFF', '15%']] } },
    { type: 'carousel', cards },
  ],
  ...extra,
});
const create = (template: Json) => graph(sim, 'POST', `${WABA}/message_templates`, template);
const without = (type: string) => (c: Json[]) => c.filter((x) => x.type !== type);
const withButtons = (buttons: Json[]) => (c: Json[]) => c.map((x) => (x.type === 'buttons' ? { type: 'buttons', buttons } : x));

describe('carousel creation: what Meta takes and refuses', () => {
  it("accepts Meta's summer produce example", async () => {
    expect(await create(summer())).toMatchObject({ status: 200, body: { id: expect.any(String), status: 'PENDING', category: 'MARKETING' } });
  });

  it('accepts cards without buttons, and cards without a body, as long as every card is alike', async () => {
    expect((await create(summer([lemons(without('buttons')), fruit(without('buttons'))]))).status).toBe(200);
    expect((await create(summer([lemons(without('body')), fruit(without('body'))]))).status).toBe(200);
  });

  // Rows are built when they run: the sample's handle exists only after beforeAll.
  it.each<[string, () => Json]>([
    ['a UTILITY carousel (carousels are marketing only)', () => summer(undefined, { category: 'UTILITY' })],
    ['eleven cards', () => summer(Array.from({ length: 11 }, () => lemons()))],
    ['a card with a DOCUMENT header', () => summer([lemons(), fruit((c) => c.map((x) => (x.type === 'header' ? { type: 'header', format: 'document', example: { header_handle: [png] } } : x)))])],
    ['a card header without header_handle', () => summer([lemons(), fruit((c) => c.map((x) => (x.type === 'header' ? { type: 'header', format: 'image' } : x)))])],
    ['a 161-character card body', () => summer([lemons(), fruit((c) => c.map((x) => (x.type === 'body' ? { type: 'body', text: 'b'.repeat(161) } : x)))])],
    ['a body on one card only', () => summer([lemons(), fruit(without('body'))])],
    ['three buttons on a card', () => summer([lemons(withButtons([1, 2, 3].map((i) => ({ type: 'quick_reply', text: `More ${i}` })))), fruit()])],
    ['a copy-code button on a card', () => summer([lemons(withButtons([{ type: 'copy_code', example: 'SAVE10' }])), fruit(withButtons([{ type: 'copy_code', example: 'SAVE10' }]))])],
    ['cards whose buttons differ', () => summer([lemons(), fruit(withButtons([{ type: 'quick_reply', text: 'More' }]))])],
    ['a header of its own beside the carousel', () => ({ ...summer(), components: [{ type: 'header', format: 'text', text: 'Summer' }, ...summer().components] })],
  ])('refuses %s', async (_what, template) => {
    const before = sim.templates().length;
    const answer = await create(template());
    expectMetaError(answer, 100);
    expect(answer.body.error.error_data.details).toMatch(/CAROUSEL|components|BUTTONS/);
    expect(sim.templates().length).toBe(before);
  });
});

describe('carousel sends: what Meta takes and refuses', () => {
  let name: string;
  beforeAll(async () => {
    const created = await create(summer());
    name = sim.templates().find((t) => t.id === created.body.id)!.name;
    await sim.setTemplateStatus(created.body.id, 'APPROVED', { silently: true });
  });
  const text = (value: string) => ({ type: 'text', text: value });
  /** Meta's sending example: the message body's parameters, then each card's image, body, payload and URL suffix. */
  const sendCard = (cardIndex: number, patch: (c: Json[]) => Json[] = (c) => c) => ({
    card_index: cardIndex,
    components: patch([
      { type: 'header', parameters: [{ type: 'image', image: { id: '24230790383178626' } }] },
      { type: 'body', parameters: [text('10OFF'), text('10%')] },
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: '59NqSd' }] },
      { type: 'button', sub_type: 'url', index: '1', parameters: [text('last_chance_2023')] },
    ]),
  });
  const send = (cards: Json[], body: Json[] = [text('20OFF'), text('20%')]) =>
    graph(sim, 'POST', `${PHONE_NUMBER_ID}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'template',
      template: { name, language: { code: 'en_US' }, components: [{ type: 'body', parameters: body }, { type: 'carousel', cards }] },
    });

  it("accepts Meta's sending example: every card with its image, body, quick-reply payload and URL suffix", async () => {
    expect(await send([sendCard(0), sendCard(1)])).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
  });

  it('accepts cards whose quick-reply payload is left out', async () => {
    const noPayload = (c: Json[]) => c.filter((x) => x.sub_type !== 'quick_reply');
    expect((await send([sendCard(0, noPayload), sendCard(1, noPayload)])).status).toBe(200);
  });

  it.each<[string, () => Promise<{ status: number; body: Json }>, number]>([
    ['one card fewer than the template has (132000)', () => send([sendCard(0)]), 132000],
    ['a card_index given twice (131009)', () => send([sendCard(0), sendCard(0)]), 131009],
    ['a card_index the template lacks (131009)', () => send([sendCard(0), sendCard(2)]), 131009],
    ['a card without its header image (132000)', () => send([sendCard(0), sendCard(1, (c) => c.filter((x) => x.type !== 'header'))]), 132000],
    ['a video where the card wants an image (132012)', () => send([sendCard(0), sendCard(1, (c) => c.map((x) => (x.type === 'header' ? { type: 'header', parameters: [{ type: 'video', video: { id: '1' } }] } : x)))]), 132012],
    ['a card body parameter too few (132000)', () => send([sendCard(0), sendCard(1, (c) => c.map((x) => (x.type === 'body' ? { type: 'body', parameters: [text('10OFF')] } : x)))]), 132000],
    ['a newline in a card URL suffix (132018)', () => send([sendCard(0), sendCard(1, (c) => c.map((x) => (x.sub_type === 'url' ? { ...x, parameters: [text('last\nchance')] } : x)))]), 132018],
    ['a message body parameter too few (132000)', () => send([sendCard(0), sendCard(1)], [text('20OFF')]), 132000],
  ])('refuses %s', async (_what, act, code) => {
    const before = sim.sent().length;
    expectMetaError(await act(), code);
    expect(sim.sent().length).toBe(before);
  });
});
