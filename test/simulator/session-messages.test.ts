/**
 * The simulator refuses what Meta refuses in session messages. Payloads are Meta's documented examples from the
 * "Send messages" pages (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/…),
 * each limit taken one character past what the page states.
 */
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

const TOKEN = 'sim-token';
let sim: BrokerSimulator;
beforeAll(async () => {
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', autoStatuses: false });
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
  ])('%s', async (_name, body) => {
    expect(await send(body)).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
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
  ])('%s', async (_name, body, field) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 131009, type: 'OAuthException', error_data: { messaging_product: 'whatsapp' } });
    expect(answer.body.error.message).toContain(field);
  });

  it('refuses a contact without formatted_name and a reaction without message_id as missing (131008)', async () => {
    expect((await send({ type: 'contacts', contacts: [{ name: { first_name: 'B' } }] })).body.error).toMatchObject({ code: 131008 });
    expect((await send({ type: 'reaction', reaction: { emoji: '\u{1F600}' } })).body.error).toMatchObject({ code: 131008 });
  });

  it('records a mark-as-read with a typing indicator, as the typing-indicators page sends it', async () => {
    const answer = await send({ status: 'read', message_id: 'wamid.abc', typing_indicator: { type: 'text' } });
    expect(answer).toMatchObject({ status: 200, body: { success: true } });
    expect(sim.reads().at(-1)).toMatchObject({ messageId: 'wamid.abc', typing: true });
  });
});
