/**
 * The simulator refuses what Meta refuses in session messages. Payloads are Meta's documented examples from the
 * "Send messages" pages (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/…),
 * each limit taken one character past what the page states.
 */
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

const TOKEN = 'sim-token';
let sim: BrokerSimulator;
/** Media uploaded to this simulator per message type: Meta's example ids are another account's uploads, refused here with (#100). */
const uploaded: Record<string, string> = {};
beforeAll(async () => {
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', autoStatuses: false });
  const files: [string, string][] = [['image', 'image/jpeg'], ['audio', 'audio/ogg'], ['video', 'video/mp4'], ['document', 'application/pdf'], ['sticker', 'image/webp']];
  for (const [type, mimeType] of files) {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', mimeType);
    form.set('file', new Blob([Buffer.alloc(512, 1)], { type: mimeType }), 'file');
    const answer = await fetch(`${sim.url}/v23.0/106540352242922/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    uploaded[type] = ((await answer.json()) as { id: string }).id;
  }
});
afterAll(async () => sim.close());

const send = (body: object) =>
  fetch(`${sim.url}/v23.0/106540352242922/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234', ...body }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

const x = (n: number) => 'x'.repeat(n);
const buttons = (titles: string[], body = 'Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow.') => ({
  type: 'interactive',
  interactive: { type: 'button', body: { text: body }, action: { buttons: titles.map((title, i) => ({ type: 'reply', reply: { id: `b${i}`, title } })) } },
});
const list = (rows: { id: string; title: string; description?: string }[][], extra: Record<string, unknown> = {}) => ({
  type: 'interactive',
  interactive: {
    type: 'list',
    header: { type: 'text', text: 'Choose Shipping Option' },
    body: { text: 'Which shipping option do you prefer?' },
    footer: { text: 'Lucky Shrub: Your gateway to succulents' },
    action: { button: 'Shipping Options', sections: rows.map((r, i) => ({ title: `Section ${i}`, rows: r })) },
    ...extra,
  },
});
const row = (i: number) => ({ id: `row_${i}`, title: `Option ${i}` });
const flowMessage = (parameters: Record<string, unknown> = {}) => ({
  type: 'flow',
  header: { type: 'text', text: 'Flow message header' },
  body: { text: 'Flow message body' },
  footer: { text: 'Flow message footer' },
  action: {
    name: 'flow',
    parameters: { flow_message_version: '3', flow_token: 'AQAAAAACS5FpgQ_cAAAAAD0QI3s.', flow_id: '1', flow_cta: 'Book!', flow_action: 'navigate', flow_action_payload: { screen: 'BOOKING', data: { product_name: 'name' } }, ...parameters },
  },
});
const productList = (sections: string[][]) => ({
  type: 'product_list',
  header: { type: 'text', text: 'header-content' },
  body: { text: 'body-content' },
  footer: { text: 'footer-content' },
  action: { catalog_id: '194836987003835', sections: sections.map((ids) => ({ title: 'section-title', product_items: ids.map((id) => ({ product_retailer_id: id })) })) },
});

describe("the simulator takes Meta's documented session messages", () => {
  it.each([
    ['text', { type: 'text', text: { preview_url: true, body: 'As requested, https://www.youtube.com/watch?v=dQw4w9WgXcQ' } }],
    ['image', { type: 'image', image: { id: '1013859600285441', caption: 'The best succulent ever?' } }],
    ['audio', { type: 'audio', audio: { id: '1013859600285441' } }],
    ['video', { type: 'video', video: { id: '1166846181421424', caption: 'A succulent eclipse!' } }],
    ['document', { type: 'document', document: { id: '1376223850470843', filename: 'order_abc123.pdf', caption: 'Lucky Shrub Invoice' } }],
    ['sticker', { type: 'sticker', sticker: { id: '798882015472548' } }],
    ['location', { type: 'location', location: { latitude: '37.44216251868683', longitude: '-122.16153582049394', name: 'Philz Coffee', address: '101 Forest Ave, Palo Alto, CA 94301' } }],
    ['contacts', { type: 'contacts', contacts: [{ name: { formatted_name: 'Barbara J. Johnson', first_name: 'Barbara' }, phones: [{ phone: '+1 (940) 555-1234', type: 'HOME' }] }] }],
    ['reaction', { type: 'reaction', reaction: { message_id: 'wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=', emoji: '\u{1F600}' } }],
    ['reply buttons', buttons(['Change', 'Cancel'])],
    ['reply buttons with an image header', { type: 'interactive', interactive: { ...buttons(['Change']).interactive, header: { type: 'image', image: { id: '2762702990552401' } } } }],
    ['list', list([[row(1), row(2)], [row(3)]])],
    ['cta url', { type: 'interactive', interactive: { type: 'cta_url', body: { text: 'Tap the button below to see available dates.' }, action: { name: 'cta_url', parameters: { display_text: 'See Dates', url: 'https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4' } } } }],
    ['location request', { type: 'interactive', interactive: { type: 'location_request_message', body: { text: "Let's start with your pickup." }, action: { name: 'send_location' } } }],
    ['a contextual reply', { type: 'text', context: { message_id: 'wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=' }, text: { body: 'You got it!' } }],
    // Flows: https://developers.facebook.com/docs/whatsapp/flows/guides/sendingaflow
    ['a Flow', { type: 'interactive', interactive: flowMessage() }],
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/catalogs/single-product-messages, …/multi-product-messages,
    // https://developers.facebook.com/docs/whatsapp/guides/commerce-guides/share-products-with-customers (catalogue)
    ['a single product', { type: 'interactive', interactive: { type: 'product', body: { text: 'optional body text' }, footer: { text: 'optional footer text' }, action: { catalog_id: '194836987003835', product_retailer_id: 'ID_TEST_ITEM_1' } } }],
    ['a multi-product list', { type: 'interactive', interactive: productList([['SKU-1', 'SKU-2'], ['SKU-3']]) }],
    ['a catalogue', { type: 'interactive', interactive: { type: 'catalog_message', body: { text: 'Hello! Thanks for your interest. Ordering is easy. Just visit our catalog and add items to purchase.' }, action: { name: 'catalog_message', parameters: { thumbnail_product_retailer_id: '2lc20305pt' } }, footer: { text: 'Best grocery deals on WhatsApp!' } } }],
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/
    ['a voice call button', { type: 'interactive', interactive: { type: 'voice_call', body: { text: 'You can call us on WhatsApp now for faster service!' }, action: { name: 'voice_call', parameters: { display_text: 'Call on WhatsApp', ttl_minutes: 100 } } } }],
  ])('%s', async (_name, body) => {
    // The documented payload as it is, but for the media id: one this simulator holds, of the message's type.
    const withOurs = JSON.parse(JSON.stringify(body).replace(/"(image|audio|video|document|sticker)":\{"id":"\d+"/g, (_m, type: string) => `"${type}":{"id":"${uploaded[type]}"`)) as object;
    expect(await send(withOurs)).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
  });
});

describe('the simulator refuses one past each documented limit, with Meta\'s error body', () => {
  it.each([
    ['text body over 4096', { type: 'text', text: { body: x(4097) } }, 'text.body'],
    ['image caption over 1024', { type: 'image', image: { id: '1', caption: x(1025) } }, 'image.caption'],
    ['document caption over 1024', { type: 'document', document: { id: '1', caption: x(1025) } }, 'document.caption'],
    ['a caption on audio', { type: 'audio', audio: { id: '1', caption: 'no' } }, 'audio.caption'],
    ['a button title over 20', buttons([x(21)]), 'interactive.action.buttons[0].reply.title'],
    ['four reply buttons', buttons(['a', 'b', 'c', 'd']), 'interactive.action.buttons'],
    ['reply buttons body over 1024', buttons(['a'], x(1025)), 'interactive.body.text'],
    ['a list row title over 24', list([[{ id: 'r', title: x(25) }]]), '.rows[0].title'],
    ['a list row description over 72', list([[{ id: 'r', title: 't', description: x(73) }]]), '.rows[0].description'],
    ['eleven list rows', list([[...Array.from({ length: 6 }, (_, i) => row(i))], [...Array.from({ length: 5 }, (_, i) => row(i + 6))]]), 'interactive.action.sections'],
    ['a list header over 60', list([[row(1)]], { header: { type: 'text', text: x(61) } }), 'interactive.header.text'],
    ['a list footer over 60', list([[row(1)]], { footer: { text: x(61) } }), 'interactive.footer.text'],
    ['a list button over 20', list([[row(1)]], { action: { button: x(21), sections: [{ rows: [row(1)] }] } }), 'interactive.action.button'],
    ['a CTA display text over 20', { type: 'interactive', interactive: { type: 'cta_url', body: { text: 'b' }, action: { name: 'cta_url', parameters: { display_text: x(21), url: 'https://a.example' } } } }, 'display_text'],
    ['a location request body over 1024', { type: 'interactive', interactive: { type: 'location_request_message', body: { text: x(1025) }, action: { name: 'send_location' } } }, 'interactive.body.text'],
    ['a media header on a list (text only)', list([[row(1)]], { header: { type: 'image', image: { id: '1' } } }), 'interactive.header.type'],
    ['a latitude past 90', { type: 'location', location: { latitude: 91, longitude: 0 } }, 'location.latitude'],
    // contacts-messages: "Each message can include information for up to 257 contacts"
    ['258 contact cards', { type: 'contacts', contacts: Array.from({ length: 258 }, (_, i) => ({ name: { formatted_name: `Contact ${i}`, first_name: 'C' } })) }, 'contacts'],
  ])('%s', async (_name, body, field) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    // Meta's body: the code and title once in `message`, which field and why in `error_data.details` (error-codes page)
    expect(answer.body.error).toMatchObject({ code: 131009, type: 'OAuthException', message: '(#131009) Parameter value is not valid', error_data: { messaging_product: 'whatsapp' } });
    expect(answer.body.error.error_data.details).toContain(field);
    expect(answer.body.error.error_data.details).not.toMatch(/\(#/);
  });

  it('refuses a Flow without its CTA or version 3, and a product list past 30 products or without a header', async () => {
    const { flow_cta: _cta, ...parameters } = flowMessage().action.parameters;
    const withoutCta = { ...flowMessage(), action: { name: 'flow', parameters } };
    expect((await send({ type: 'interactive', interactive: withoutCta })).body.error).toMatchObject({ code: 131008, error_data: { details: expect.stringContaining('flow_cta') } });
    expect((await send({ type: 'interactive', interactive: flowMessage({ flow_message_version: '2' }) })).body.error).toMatchObject({ code: 131009 });
    const thirtyOne = productList([Array.from({ length: 16 }, (_, n) => `A${n}`), Array.from({ length: 15 }, (_, n) => `B${n}`)]);
    expect((await send({ type: 'interactive', interactive: thirtyOne })).body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining('30 products') } });
    const { header: _header, ...headless } = productList([['SKU-1']]);
    expect((await send({ type: 'interactive', interactive: headless })).body.error).toMatchObject({ code: 131008, error_data: { details: expect.stringContaining('interactive.header') } });
  });

  it('refuses a contact without formatted_name and a reaction without message_id as missing (131008)', async () => {
    expect((await send({ type: 'contacts', contacts: [{ name: { first_name: 'B' } }] })).body.error).toMatchObject({
      code: 131008,
      message: '(#131008) Required parameter is missing',
      error_data: { details: 'Required parameter is missing: contacts[0].name.formatted_name' },
    });
    expect((await send({ type: 'reaction', reaction: { emoji: '\u{1F600}' } })).body.error).toMatchObject({ code: 131008 });
  });

  it('records a mark-as-read with a typing indicator, as the typing-indicators page sends it', async () => {
    const answer = await send({ status: 'read', message_id: 'wamid.abc', typing_indicator: { type: 'text' } });
    expect(answer).toMatchObject({ status: 200, body: { success: true } });
    expect(sim.reads().at(-1)).toMatchObject({ messageId: 'wamid.abc', typing: true });
  });
});
